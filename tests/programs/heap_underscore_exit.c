// Heap test program: leaks 5 x 48 bytes and a 1 MiB block, then leaves with _exit(3), which
// skips atexit handlers and library destructors.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void* volatile g_sink;

int main(void) {
  for (int i = 0; i < 5; ++i) g_sink = malloc(48);
  g_sink = malloc(1 << 20);
  printf("heap_underscore_exit done\n");
  fflush(stdout);
  _exit(3);
}
