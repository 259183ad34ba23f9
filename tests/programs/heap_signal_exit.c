// Heap test program: leaks 9 x 200 bytes, waits long enough for the preload library's
// flusher to send them (no flush happens at a fatal signal), then dies of SIGTERM.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void* volatile g_sink;

int main(void) {
  for (int i = 0; i < 9; ++i) g_sink = malloc(200);
  printf("heap_signal_exit about to die\n");
  fflush(stdout);
  struct timespec ts = {0, 400 * 1000 * 1000};
  nanosleep(&ts, NULL);
  raise(SIGTERM);
  return 0;
}
