// Target program: execs itself N times (same pid, new image each time), then sleeps. Each
// image is an exec generation of one process in the capture.
// Usage: exec_chain N
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2;
  char name[16];
  snprintf(name, sizeof(name), "gen%d", n);
  prctl(PR_SET_NAME, name);
  struct timespec wait = {0, 400 * 1000 * 1000};  // let the sampler see each generation
  nanosleep(&wait, NULL);
  if (n > 0) {
    char next[16];
    snprintf(next, sizeof(next), "%d", n - 1);
    execl("/proc/self/exe", argv[0], next, (char*)NULL);
    return 127;
  }
  return 0;
}
