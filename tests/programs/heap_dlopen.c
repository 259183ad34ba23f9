// Heap test program: dlopen()s libheap_plugin.so (built next to it), whose code leaks
// 6 x 96 bytes, then dlclose()s it; the loader's own allocations for the library count as
// the program's, as valgrind counts them.
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "heap_lib/sibling.h"

int main(int argc, char** argv) {
  (void)argc;
  char path[PATH_MAX];
  sibling_path(path, sizeof(path), argv[0], "libheap_plugin.so");
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  int (*work)(int) = (int (*)(int))dlsym(h, "heap_plugin_work");
  int n = work ? work(6) : -1;
  dlclose(h);
  printf("heap_dlopen done (%d)\n", n);
  return n == 6 ? 0 : 1;
}
