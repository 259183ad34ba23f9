// Heap test program: calloc in several shapes (zeroed memory checked), some leaked: 10 x 24,
// 1 x 100000 (above the mmap threshold, served by mmap inside glibc); the rest freed.
#include <stdio.h>
#include <stdlib.h>

void* volatile g_sink;

int main(void) {
  for (int i = 0; i < 10; ++i) g_sink = calloc(3, 8);
  char* big = calloc(1, 100000);
  for (int i = 0; i < 100000; i += 4096)
    if (big[i] != 0) return 1;
  g_sink = big;
  for (int i = 0; i < 50; ++i) free(calloc((size_t)i + 1, 16));
  printf("heap_calloc done\n");
  return 0;
}
