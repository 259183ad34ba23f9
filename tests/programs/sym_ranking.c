// Target for the end-to-end site-ranking test under `leakscope run --heap`: the issue's
// correctness case in a real program. A steady leaker (leak_record: 10 blocks of 1000 B
// per second, never freed), a one-time startup allocation ten times larger than all the
// leaker leaks (startup_table, held until exit) and a balanced churn site allocating a
// thousand times more than the leaker (churn_buffer: 100 blocks of about 1000 B every
// 10 ms, each replacing a random one of 256 live blocks; all freed at the end).
// Usage: sym_ranking [seconds, default 24]. Prints the exact leaked and startup bytes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void* volatile g_sink;

__attribute__((noinline)) static char* startup_table(size_t n) {
  char* p = malloc(n);
  if (p != NULL) memset(p, 1, n);
  return p;
}

__attribute__((noinline)) static void leak_record(void) {
  char* p = malloc(1000);
  if (p != NULL) memset(p, 2, 1000);
  g_sink = p;  // the only pointer is overwritten by the next record: leaked
}

__attribute__((noinline)) static void* churn_buffer(size_t n) {
  char* p = malloc(n);
  if (p != NULL) p[0] = 3;
  return p;
}

int main(int argc, char** argv) {
  int seconds = argc > 1 ? atoi(argv[1]) : 24;
  if (seconds < 1) seconds = 1;
  const int steps = seconds * 100;                    // 10 ms steps
  const size_t leaked = (size_t)(steps / 10) * 1000;  // one record every 10th step
  char* table = startup_table(10 * leaked);
  void* ring[256] = {0};
  unsigned rnd = 12345;
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int step = 0; step < steps; ++step) {
    if (step % 10 == 0) leak_record();
    for (int i = 0; i < 100; ++i) {
      rnd = rnd * 1103515245u + 12345u;
      unsigned slot = (rnd >> 16) % 256;
      free(ring[slot]);
      ring[slot] = churn_buffer(500 + (rnd >> 4) % 1001);
    }
    nanosleep(&tick, NULL);
  }
  for (int i = 0; i < 256; ++i) free(ring[i]);
  printf("leaked %zu startup %zu table %d\n", leaked, 10 * leaked, table != NULL);
  return 0;
}
