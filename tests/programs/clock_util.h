/* Monotonic clock helpers for the target programs (and bench/accuracy/workloads), which
 * pace their growth by elapsed time so that their rates are exact by construction. */
#ifndef LEAKSCOPE_TESTS_PROGRAMS_CLOCK_UTIL_H
#define LEAKSCOPE_TESTS_PROGRAMS_CLOCK_UTIL_H

#include <time.h>

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

#endif
