// Heap test program: the main thread reuses one address many times (malloc/free of the
// same size), then allocates a block there and hands it to a new thread that frees it
// first thing and exits, as Python starts its threads. The new thread's buffer reaches the
// collector (at its exit) before the main thread's, which still holds the address's
// earlier lives: nothing here is unfreed at exit but stdout's buffer and the cached
// thread's TLS.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct start_block {
  void* fn;
  void* arg;
};

void* volatile g_sink;

static void* thread_main(void* arg) {
  free(arg);  // its first event
  return NULL;
}

int main(void) {
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) {
      g_sink = malloc(sizeof(struct start_block));  // the sink keeps the pair from being elided
      free(g_sink);
    }
    struct start_block* b = malloc(sizeof *b);
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, b) != 0) return 1;
    pthread_join(t, NULL);
  }
  printf("heap_thread_handoff done\n");
  return 0;
}
