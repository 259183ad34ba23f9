// Heap test program, linked statically: LD_PRELOAD cannot act on it. leakscope must record
// it as not interposed (and say so once); valgrind cannot replace its allocator either.
#include <stdio.h>
#include <stdlib.h>

void* volatile g_sink;

int main(void) {
  for (int i = 0; i < 4; ++i) g_sink = malloc(256);
  printf("heap_static done\n");
  return 0;
}
