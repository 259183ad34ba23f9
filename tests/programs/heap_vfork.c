// Heap test program: vfork + exec of heap_basic; the child shares the parent's memory until
// the exec, so nothing of the parent may be disturbed. The parent leaks 1 x 4321 bytes.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heap_lib/sibling.h"

void* volatile g_sink;

int main(int argc, char** argv) {
  (void)argc;
  static char path[PATH_MAX];
  sibling_path(path, sizeof(path), argv[0], "heap_basic");
  fflush(stdout);
  pid_t pid = vfork();
  if (pid == 0) {
    execl(path, "heap_basic", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  g_sink = malloc(4321);
  printf("heap_vfork done (child status %d)\n", WEXITSTATUS(status));
  return 0;
}
