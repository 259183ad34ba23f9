/* A three-process tree with known ground truth, for the verdict engine's end-to-end tests
 * and the accuracy benchmark's real workloads:
 *   - the main process warms up by WARM MiB in its first second, then stays flat, and
 *     prints "PHASE active" / "PHASE idle" every PHASE seconds (marks via --mark-regex);
 *   - "leaky-helper" allocates and touches RATE KiB/s, only while the phase is active;
 *   - "flat-helper" allocates 8 MiB once and then only churns short-lived buffers.
 * Usage: phase_leaker [seconds=40] [phase_seconds=4] [rate_kib_per_s=1024] [warm_mib=40] */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock_util.h"

static void* touch(size_t bytes) {
  char* p = malloc(bytes);
  if (p) memset(p, 0x5a, bytes);
  return p;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 40;
  double phase = argc > 2 ? atof(argv[2]) : 4;
  double rate_kib = argc > 3 ? atof(argv[3]) : 1024;
  double warm_mib = argc > 4 ? atof(argv[4]) : 40;
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* One shared word: 1 while the phase is active, 2 when the helpers must exit. */
  volatile int* state = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (state == MAP_FAILED) return 1;
  *state = 0;
  pid_t leaky = fork();
  if (leaky == 0) {
    prctl(PR_SET_NAME, "leaky-helper");
    /* Paced by the clock: what is leaked is RATE x the time spent active so far. */
    double active_s = 0, last = now_s(), leaked = 0;
    while (*state != 2) {
      double t = now_s();
      if (*state == 1) active_s += t - last;
      last = t;
      double want = rate_kib * 1024 * active_s;
      if (want - leaked >= 4096) {
        void* keep = touch((size_t)(want - leaked));
        (void)keep; /* leaked on purpose */
        leaked = want;
      }
      sleep_s(0.05);
    }
    _exit(0);
  }
  pid_t flat = fork();
  if (flat == 0) {
    prctl(PR_SET_NAME, "flat-helper");
    void* base = touch(8u << 20);
    (void)base;
    while (*state != 2) {
      free(touch(256 * 1024));
      sleep_s(0.05);
    }
    _exit(0);
  }
  /* Warm-up: WARM MiB over the first second, kept for the whole run. */
  for (int i = 0; i < 10; ++i) {
    void* keep = touch((size_t)(warm_mib * 1024 * 1024 / 10));
    (void)keep;
    sleep_s(0.1);
  }
  double start = now_s();
  int active = 0;
  while (now_s() - start < seconds) {
    active = !active;
    printf("PHASE %s\n", active ? "active" : "idle");
    *state = active ? 1 : 0;
    double until = now_s() + phase;
    while (now_s() < until && now_s() - start < seconds) sleep_s(0.05);
  }
  *state = 2;
  waitpid(leaky, NULL, 0);
  waitpid(flat, NULL, 0);
  return 0;
}
