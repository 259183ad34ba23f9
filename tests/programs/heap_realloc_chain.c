// Heap test program: realloc chains. One buffer grows from 16 bytes to 64 KiB by doubling
// (moving most times) and is leaked; another grows then shrinks and is freed; realloc(NULL)
// acts as malloc; reallocarray grows an array that is leaked.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void* volatile g_sink;

int main(void) {
  char* grow = NULL;
  for (size_t n = 16; n <= 65536; n *= 2) {
    grow = realloc(grow, n);
    memset(grow, 1, n);
  }
  g_sink = grow;  // leaked: 65536 bytes

  char* shrink = realloc(NULL, 1000);
  shrink = realloc(shrink, 5000);
  shrink = realloc(shrink, 10);
  free(shrink);

  int* arr = reallocarray(NULL, 10, sizeof(int));
  arr = reallocarray(arr, 100, sizeof(int));  // leaked: 400 bytes
  g_sink = arr;
  printf("heap_realloc_chain done\n");
  return 0;
}
