// Heap test program: a non-PIE executable that takes malloc's address in its own code, as
// Debian's python3 and node do. Its dynamic symbol table then lists malloc as undefined
// but with the address of its PLT stub (a canonical PLT entry), which is what
// dlsym(RTLD_DEFAULT, "malloc") returns; the stub still leads to the first library that
// defines malloc, so LD_PRELOAD interposes it and the leaks below must be recorded.
// Built with -fno-pie -no-pie (tests/programs/CMakeLists.txt); it says whether the
// canonical PLT entry is really there, so the test cannot pass without the case it is for.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void* volatile g_sink;
void* (*volatile g_alloc)(size_t);

__attribute__((noinline)) static void* leak_through_pointer(void) { return g_alloc(100); }
__attribute__((noinline)) static void* leak_direct(void) { return malloc(4000); }

int main(void) {
  g_alloc = malloc;  // an absolute address in non-PIC code: the PLT stub
  Dl_info where = {0};
  void* found = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info program = {0};
  int canonical = found && dladdr(found, &where) && dladdr((void*)&main, &program) &&
                  where.dli_fbase == program.dli_fbase;
  for (int i = 0; i < 3; ++i) g_sink = leak_through_pointer();
  g_sink = leak_direct();
  for (int i = 0; i < 1000; ++i) free(g_alloc((size_t)(i % 64) + 1));
  printf("heap_nopie: canonical PLT entry for malloc: %s\n", canonical ? "yes" : "no");
  return 0;
}
