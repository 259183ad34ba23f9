// Heap test program for the site ranking: over SECONDS (argv[1], default 4) it runs three
// sites at once —
//   steady_leak:   1 KiB every 1/64 s, never freed (64 KiB/s);
//   startup_block: one block at start, 10x what steady_leak leaks over the whole run;
//   churn:         allocates 1000x what steady_leak leaks, in 4 KiB blocks, all freed.
// It prints the exact counts it used so tests can check the recorded counters.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void* volatile g_sink;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void* steady_leak(void) { return malloc(1024); }
__attribute__((noinline)) static void* startup_block(size_t n) {
  char* p = malloc(n);
  memset(p, 1, n);
  return p;
}
__attribute__((noinline)) static void churn(int blocks) {
  for (int i = 0; i < blocks; ++i) {
    char* p = malloc(4096);
    p[0] = 1;
    g_sink = p;
    free(p);
  }
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 4.0;
  long leaks = (long)(seconds * 64);
  size_t startup = (size_t)leaks * 1024 * 10;
  long churn_blocks = leaks * 1000 / 4;  // 4 KiB each: 1000x the leaked bytes
  g_sink = startup_block(startup);
  double t0 = now_s();
  for (long i = 0; i < leaks; ++i) {
    g_sink = steady_leak();
    churn((int)(churn_blocks / leaks));
    double due = t0 + (double)(i + 1) / 64.0;
    double wait = due - now_s();
    if (wait > 0) {
      struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
      nanosleep(&ts, NULL);
    }
  }
  printf("heap_leak_ranking leaks=%ld startup=%zu churn_blocks=%ld\n", leaks, startup,
         churn_blocks / leaks * leaks);
  return 0;
}
