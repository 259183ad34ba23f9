// Heap test program: leaks 7 x 32 bytes, frees 10 others, then calls abort() (killed by
// SIGABRT: no atexit handlers, no destructors).
#include <stdio.h>
#include <stdlib.h>

void* volatile g_sink;

int main(void) {
  for (int i = 0; i < 7; ++i) g_sink = malloc(32);
  for (int i = 0; i < 10; ++i) free(malloc(16));
  printf("heap_abort about to abort\n");
  fflush(stdout);
  abort();
}
