// Heap test program: fork then exec. The child execs heap_basic (found next to this
// program), so its end state is heap_basic's alone: what it inherited is gone with the
// exec. The parent leaks 3 x 64 bytes after the child finished.
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
  char path[PATH_MAX];
  sibling_path(path, sizeof(path), argv[0], "heap_basic");
  g_sink = malloc(12345);  // inherited by the child, gone at its exec
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execl(path, "heap_basic", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  for (int i = 0; i < 3; ++i) g_sink = malloc(64);
  printf("heap_fork_exec done (child status %d)\n", WEXITSTATUS(status));
  return 0;
}
