// Malloc/free-heavy workload for bench/heap_overhead: each of THREADS threads keeps a
// working set of 8192 blocks and replaces a random one OPS times (sizes 16..527 bytes,
// every 16th a realloc), touching each new block; with THREADS 1 the main thread does it.
// Usage: heap_churn THREADS OPS_PER_THREAD.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8192

static long g_ops;

static void* churn(void* arg) {
  uint64_t x = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)arg;
  char** slots = calloc(SLOTS, sizeof(char*));
  uint64_t checksum = 0;
  for (long i = 0; i < g_ops; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    unsigned k = (unsigned)(x % SLOTS);
    size_t size = 16 + (size_t)((x >> 20) % 512);
    if ((i & 15) == 0 && slots[k] != NULL) {
      slots[k] = realloc(slots[k], size);
    } else {
      free(slots[k]);
      slots[k] = malloc(size);
    }
    memset(slots[k], (int)i, 16);
    checksum += (uint64_t)(unsigned char)slots[k][0];
  }
  for (int k = 0; k < SLOTS; ++k) free(slots[k]);
  free(slots);
  return (void*)(uintptr_t)checksum;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  g_ops = argc > 2 ? atol(argv[2]) : 4000000;
  pthread_t t[64];
  if (threads < 1 || threads > 64) return 2;
  uint64_t sum = 0;
  if (threads == 1) {  // a single-threaded program: no thread beside main
    sum = (uint64_t)(uintptr_t)churn((void*)(uintptr_t)1);
    printf("heap_churn %d x %ld ops (%llu)\n", threads, g_ops, (unsigned long long)(sum & 0xff));
    return 0;
  }
  for (int i = 0; i < threads; ++i) pthread_create(&t[i], NULL, churn, (void*)(uintptr_t)(i + 1));
  for (int i = 0; i < threads; ++i) {
    void* r;
    pthread_join(t[i], &r);
    sum += (uint64_t)(uintptr_t)r;
  }
  printf("heap_churn %d x %ld ops (%llu)\n", threads, g_ops, (unsigned long long)(sum & 0xff));
  return 0;
}
