// Heap test program: 4 waves of 8 short-lived threads (32 in all, so per-thread buffers are
// reused); thread i of a wave leaks one block of (i + 1) x 10 bytes and frees 50 others
// before exiting: 4 x (10 + 20 + ... + 80) = 1440 bytes leaked in 32 blocks.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void* volatile g_sink;

static void* work(void* arg) {
  long i = (long)arg;
  for (int k = 0; k < 50; ++k) free(malloc(24));
  g_sink = malloc((size_t)(i + 1) * 10);
  return NULL;
}

int main(void) {
  for (int wave = 0; wave < 4; ++wave) {
    pthread_t t[8];
    for (long i = 0; i < 8; ++i) pthread_create(&t[i], NULL, work, (void*)i);
    for (int i = 0; i < 8; ++i) pthread_join(t[i], NULL);
  }
  printf("heap_many_threads done\n");
  return 0;
}
