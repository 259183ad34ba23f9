// Heap test program: starts heap_basic (next to it) with posix_spawn, waits, and leaks
// 2 x 128 bytes itself. posix_spawn's child runs no fork handlers and execs at once.
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "heap_lib/sibling.h"

extern char** environ;
void* volatile g_sink;

int main(int argc, char** argv) {
  (void)argc;
  char path[PATH_MAX];
  sibling_path(path, sizeof(path), argv[0], "heap_basic");
  char* args[] = {"heap_basic", NULL};
  fflush(stdout);
  pid_t pid;
  if (posix_spawn(&pid, path, NULL, NULL, args, environ) != 0) return 1;
  int status = 0;
  waitpid(pid, &status, 0);
  g_sink = malloc(128);
  g_sink = malloc(128);
  printf("heap_posix_spawn done (child status %d)\n", WEXITSTATUS(status));
  return 0;
}
