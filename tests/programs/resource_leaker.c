// Target program: leaks file descriptors and threads at known rates.
// Usage: resource_leaker SECONDS FDS_PER_S THREADS_PER_S
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void* park(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3;
  double fds_per_s = argc > 2 ? atof(argv[2]) : 10;
  double threads_per_s = argc > 3 ? atof(argv[3]) : 2;
  struct timespec step = {0, 100 * 1000 * 1000};
  double fd_due = 0, thread_due = 0;
  for (int i = 0; i < (int)(seconds * 10); ++i) {
    fd_due += fds_per_s / 10;
    thread_due += threads_per_s / 10;
    while (fd_due >= 1) {
      open("/dev/null", O_RDONLY);
      fd_due -= 1;
    }
    while (thread_due >= 1) {
      pthread_t t;
      pthread_create(&t, NULL, park, NULL);
      thread_due -= 1;
    }
    nanosleep(&step, NULL);
  }
  _exit(0);
}
