/* Real workload programs for the accuracy benchmark: each mode is a process (tree) whose
 * memory, fd or thread behaviour is known by construction, on a compressed time scale
 * (seconds instead of hours). Memory is taken with mmap + memset so RSS follows exactly
 * what the program does (no allocator caching in between).
 * Usage: workload MODE [seconds=20] [rate_kib_per_s=1024]
 * Modes: warmup_flat warmup_leak cache_fill sawtooth sawtooth_leak step leak_stop
 *        phase_leak child_leak fd_leak thread_leak shm_growth noise */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../tests/programs/clock_util.h"

/* Anonymous memory that is resident (touched) and kept until released. */
static void* take(size_t bytes) {
  if (bytes == 0) return NULL;
  void* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  memset(p, 0x5a, bytes);
  return p;
}

static void* sleeper(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

/* Grows the process's anonymous memory to `target` bytes (never shrinks). */
static size_t grown = 0;
static void grow_to(double target) {
  if (target > (double)grown + 4096) {
    size_t add = (size_t)(target - (double)grown) & ~(size_t)4095;
    if (take(add)) grown += add;
  }
}

/* Takes more memory until `*done` reaches `target` bytes (a second, independent counter). */
static void leaked_to(double target, size_t* done) {
  if (target > (double)*done + 4096) {
    size_t add = (size_t)(target - (double)*done) & ~(size_t)4095;
    if (take(add)) *done += add;
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: workload MODE [seconds] [rate_kib_per_s]\n");
    return 2;
  }
  const char* mode = argv[1];
  double seconds = argc > 2 ? atof(argv[2]) : 20;
  double rate = (argc > 3 ? atof(argv[3]) : 1024) * 1024; /* bytes per second */
  setvbuf(stdout, NULL, _IOLBF, 0);
  const double tick = 0.05;
  const double warm = 48.0 * 1024 * 1024, tau = seconds / 20;
  pid_t child = -1;
  if (strcmp(mode, "child_leak") == 0) {
    child = fork();
    if (child == 0) {
      prctl(PR_SET_NAME, "leaky-child");
      double start = now_s();
      while (now_s() - start < seconds) {
        grow_to(rate * (now_s() - start));
        sleep_s(tick);
      }
      _exit(0);
    }
  }
  int shm = -1;
  char* shm_map = NULL;
  size_t shm_size = 0;
  if (strcmp(mode, "shm_growth") == 0) {
    /* One shared mapping of a sparse memfd; touching pages makes them resident (RssShmem). */
    shm = memfd_create("workload", MFD_CLOEXEC);
    if (shm >= 0 && ftruncate(shm, (off_t)1 << 32) == 0)
      shm_map = mmap(NULL, 1UL << 32, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, shm, 0);
  }
  void* saw[16];
  int saw_n = 0;
  unsigned rng = 12345;
  double noise_level = 0;
  void* noise_block = NULL;
  size_t noise_size = 0;
  double start = now_s(), last_fd = 0, last_thread = 0, last_t = 0, active_time = 0;
  size_t phase_bytes = 0;
  int active = 0;
  double next_phase = 0;
  while (now_s() - start < seconds) {
    double t = now_s() - start;
    if (!strcmp(mode, "warmup_flat")) {
      grow_to(warm * (1 - exp(-t / tau)));
    } else if (!strcmp(mode, "warmup_leak") || !strcmp(mode, "child_leak")) {
      grow_to(warm * (1 - exp(-t / tau)) + (!strcmp(mode, "warmup_leak") ? rate * t : 0));
    } else if (!strcmp(mode, "cache_fill")) {
      grow_to(warm * 2 * (1 - exp(-t / (seconds / 6))));
    } else if (!strcmp(mode, "step")) {
      grow_to(t < seconds * 0.45 ? 16.0 * 1024 * 1024 : 48.0 * 1024 * 1024);
    } else if (!strcmp(mode, "leak_stop")) {
      grow_to(8.0 * 1024 * 1024 + rate * fmin(t, seconds * 0.45));
    } else if (!strcmp(mode, "phase_leak")) {
      grow_to(8.0 * 1024 * 1024);
      if (t >= next_phase) {
        active = !active;
        printf("PHASE %s\n", active ? "active" : "idle");
        next_phase += seconds / 10;
      }
      /* Paced by the clock: the leak is rate x the time spent active so far. */
      if (active) active_time += t - last_t;
      leaked_to(rate * active_time, &phase_bytes);
    } else if (!strcmp(mode, "sawtooth") || !strcmp(mode, "sawtooth_leak")) {
      /* ~0.5 s cycles: 2 MiB blocks up to 20 MiB, then all released at once (a GC). */
      grow_to(8.0 * 1024 * 1024 + (!strcmp(mode, "sawtooth_leak") ? rate * t : 0));
      saw[saw_n++] = take(2 * 1024 * 1024);
      if (saw_n >= 10) {
        for (int i = 0; i < saw_n; ++i) munmap(saw[i], 2 * 1024 * 1024);
        saw_n = 0;
      }
    } else if (!strcmp(mode, "fd_leak")) {
      grow_to(8.0 * 1024 * 1024);
      if (t - last_fd >= 0.25) {
        open("/dev/null", O_RDONLY); /* never closed: the leak */
        last_fd = t;
      }
    } else if (!strcmp(mode, "thread_leak")) {
      grow_to(8.0 * 1024 * 1024);
      if (t - last_thread >= 0.5) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        if (pthread_create(&th, &attr, sleeper, NULL) == 0) pthread_detach(th);
        pthread_attr_destroy(&attr);
        last_thread = t;
      }
    } else if (!strcmp(mode, "shm_growth")) {
      grow_to(8.0 * 1024 * 1024);
      size_t want = ((size_t)(rate * t) + 4095) & ~(size_t)4095;
      if (shm_map && shm_map != MAP_FAILED && want > shm_size && want < (1UL << 32)) {
        memset(shm_map + shm_size, 0x3c, want - shm_size);
        shm_size = want;
      }
    } else if (!strcmp(mode, "noise")) {
      /* Autocorrelated churn: a block whose size wanders around 16 MiB, no trend. */
      grow_to(8.0 * 1024 * 1024);
      rng = rng * 1103515245u + 12345u;
      noise_level = 0.95 * noise_level + ((double)(rng >> 8) / 16777216.0 - 0.5) * 2.0;
      size_t size = (size_t)((16 + 4 * noise_level) * 1024 * 1024) & ~(size_t)4095;
      if (noise_block) munmap(noise_block, noise_size);
      noise_block = take(size);
      noise_size = size;
    } else {
      fprintf(stderr, "workload: unknown mode %s\n", mode);
      return 2;
    }
    last_t = t;
    sleep_s(tick);
  }
  if (child > 0) waitpid(child, NULL, 0);
  return 0;
}
