// Heap test program: plain malloc/free from three call sites; two of them leak a known
// amount (3 x 100 bytes and 1 x 4000 bytes), the third frees everything it allocates.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void* volatile g_sink;

__attribute__((noinline)) static void* leak_small(void) { return malloc(100); }
__attribute__((noinline)) static void* leak_big(void) { return malloc(4000); }
__attribute__((noinline)) static void churn(int n) {
  for (int i = 0; i < n; ++i) {
    char* p = malloc((size_t)(i % 64) + 1);
    p[0] = (char)i;
    g_sink = p;
    free(p);
  }
}

int main(void) {
  for (int i = 0; i < 3; ++i) g_sink = leak_small();
  g_sink = leak_big();
  churn(1000);
  printf("heap_basic done\n");
  return 0;
}
