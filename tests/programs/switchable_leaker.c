// Target program for `leakscope experiment` and `check`: three leak sources switched on
// independently by environment variables, at rates known by construction, so the
// isolated and combined effects of "fixing" each are known:
//   LEAK_A=1  2 MiB/s      LEAK_B=1  1 MiB/s      LEAK_C=1  0.5 MiB/s
//   LEAK_AB_EXTRA=1 with both A and B on: 1 MiB/s more (an interaction: the two parts
//   of the program together leak more than the sum of their own leaks).
// LEAK_SCALE multiplies every rate (default 1). Usage: switchable_leaker SECONDS
// [WARMUP_MIB]. It adds up the rate and becomes leak_rate (same folder) with it, so the
// leaking itself is the one steady, page-touching loop the other tests already rely on;
// the process keeps its pid and is then named leak_rate.
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int on(const char* name) {
  const char* v = getenv(name);
  return v && *v && strcmp(v, "0") != 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: switchable_leaker SECONDS [WARMUP_MIB]\n");
    return 2;
  }
  double kib_per_s = 0;
  if (on("LEAK_A")) kib_per_s += 2048;
  if (on("LEAK_B")) kib_per_s += 1024;
  if (on("LEAK_C")) kib_per_s += 512;
  if (on("LEAK_A") && on("LEAK_B") && on("LEAK_AB_EXTRA")) kib_per_s += 1024;
  const char* scale = getenv("LEAK_SCALE");
  if (scale && *scale) kib_per_s *= atof(scale);

  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    perror("switchable_leaker: /proc/self/exe");
    return 2;
  }
  self[n] = 0;
  char path[PATH_MAX + 16];
  snprintf(path, sizeof(path), "%s/leak_rate", dirname(self));
  char rate[32];
  snprintf(rate, sizeof(rate), "%.3f", kib_per_s);
  printf("switchable_leaker: %s KiB/s for %s s\n", rate, argv[1]);
  fflush(stdout);
  execl(path, "leak_rate", rate, argv[1], argc > 2 ? argv[2] : (char*)NULL, (char*)NULL);
  perror("switchable_leaker: cannot run leak_rate");
  return 2;
}
