// Target program: optional warm-up, then grows private anonymous memory at a known, steady
// rate (pages are touched so they are resident). Usage: leak_rate RATE_KIB_PER_S SECONDS
// [WARMUP_MIB]. The e2e tests check the recorded growth against RATE.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Keeps the compiler from eliding allocations that are never read.
void* volatile g_sink;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: leak_rate RATE_KIB_PER_S SECONDS [WARMUP_MIB]\n");
    return 2;
  }
  double rate = atof(argv[1]) * 1024.0;
  double seconds = atof(argv[2]);
  if (argc > 3) {
    size_t warm = (size_t)atol(argv[3]) << 20;
    char* w = malloc(warm);
    memset(w, 1, warm);  // kept: a one-time warm-up, not a leak
    g_sink = w;
  }
  double start = now_s(), leaked = 0;
  struct timespec step = {0, 20 * 1000 * 1000};
  while (now_s() - start < seconds) {
    double due = rate * (now_s() - start);
    while (leaked + 4096 <= due) {
      size_t chunk = (size_t)(due - leaked) & ~(size_t)4095;
      if (chunk > (1u << 20)) chunk = 1u << 20;
      char* p = malloc(chunk);
      memset(p, 7, chunk);
      g_sink = p;
      leaked += (double)chunk;
    }
    nanosleep(&step, NULL);
  }
  return 0;
}
