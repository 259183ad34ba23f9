// Heap test program: leaks 11 x 300 bytes and frees 20 others, waits for the flusher, then
// SIGKILLs itself (nothing can run at exit). With argv[1] = "exit" it ends with _exit(0)
// instead, after the same allocations, so valgrind can give the reference numbers.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void* volatile g_sink;

int main(int argc, char** argv) {
  for (int i = 0; i < 11; ++i) g_sink = malloc(300);
  for (int i = 0; i < 20; ++i) free(malloc(40));
  printf("heap_sigkill waiting\n");
  fflush(stdout);
  struct timespec ts = {0, 400 * 1000 * 1000};
  nanosleep(&ts, NULL);
  if (argc > 1 && strcmp(argv[1], "exit") == 0) _exit(0);
  kill(getpid(), SIGKILL);
  return 0;
}
