// Heap test program: fork without exec. Before the fork the parent leaks 2 x 1000 bytes and
// holds 1 x 500; the child inherits all three blocks, frees the 500 one, leaks 1 x 50 of its
// own and exits with exit(0); the parent waits, then leaks 1 x 2000.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void* volatile g_sink;

int main(void) {
  g_sink = malloc(1000);
  g_sink = malloc(1000);
  void* shared = malloc(500);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    free(shared);
    g_sink = malloc(50);
    printf("heap_fork child done\n");
    exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  g_sink = shared;
  g_sink = malloc(2000);
  printf("heap_fork parent done (child status %d)\n", WEXITSTATUS(status));
  return 0;
}
