// The bundled demo: a small "application" whose memory behaviour is known by construction,
// so that leakscope's findings can be checked against the truth.
//
//   demo-main     warms up by ~48 MiB in its first seconds (a decelerating fill, like a
//                 cache being populated at start), then stays flat; it drives the phases
//                 and prints "PHASE active" / "PHASE idle" on stdout.
//   demo-indexer  leaks LEAK_KIB_PER_S (512 KiB/s) of private anonymous memory, but only
//                 while a phase is "active" (a leak tied to an activity: a staircase).
//   demo-cache    allocates 16 MiB once, then churns (malloc/free of equal sizes): flat.
//
// Usage: leakscope_demo [SECONDS=40]. Phases: active 6 s, idle 4 s, repeated.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEAK_KIB_PER_S 512
#define ACTIVE_S 6
#define IDLE_S 4

void* volatile g_sink;  // keeps the compiler from removing allocations never read

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void* touch(size_t bytes) {
  char* p = malloc(bytes);
  if (!p) abort();
  memset(p, 0x5a, bytes);
  g_sink = p;
  return p;
}

// Reads the latest phase byte ('a' or 'i') from the pipe without blocking.
static char poll_phase(int fd, char current) {
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf));
  return n > 0 ? buf[n - 1] : current;
}

static void run_indexer(int phase_fd, double seconds) {
  prctl(PR_SET_NAME, "demo-indexer");
  char phase = 'i';
  double start = now_s(), active_time = 0, leaked_kib = 0, last = start;
  while (now_s() - start < seconds + 2) {
    phase = poll_phase(phase_fd, phase);
    double t = now_s();
    if (phase == 'a') active_time += t - last;
    last = t;
    // Leak in 64 KiB chunks, on schedule with the time spent active.
    while (leaked_kib + 64 <= active_time * LEAK_KIB_PER_S) {
      touch(64 * 1024);
      leaked_kib += 64;
    }
    if (phase == 'q') break;
    sleep_ms(50);
  }
}

static void run_cache(int phase_fd, double seconds) {
  prctl(PR_SET_NAME, "demo-cache");
  touch(16u << 20);
  char phase = 'i';
  double start = now_s();
  while (now_s() - start < seconds + 2) {
    phase = poll_phase(phase_fd, phase);
    if (phase == 'q') break;
    for (int i = 0; i < 64; ++i) free(touch(256 * 1024));  // balanced churn
    sleep_ms(50);
  }
}

static pid_t spawn_helper(void (*body)(int, double), double seconds, int* phase_write) {
  int p[2];
  if (pipe(p) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);  // the helper polls its phase between steps
    body(p[0], seconds);
    _exit(0);
  }
  close(p[0]);
  *phase_write = p[1];
  return pid;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 40;
  setvbuf(stdout, NULL, _IOLBF, 0);  // phase lines must reach leakscope when printed
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_NAME, "demo-main");
  printf("demo: demo-main warms up ~48 MiB then stays flat; demo-indexer leaks %d KiB/s "
         "only during 'active' phases; demo-cache stays flat\n", LEAK_KIB_PER_S);
  int indexer_pipe = -1, cache_pipe = -1;
  pid_t indexer = spawn_helper(run_indexer, seconds, &indexer_pipe);
  pid_t cache = spawn_helper(run_cache, seconds, &cache_pipe);

  // Warm-up: a decelerating fill, 48 MiB in total over ~3 s.
  size_t chunks[] = {16, 12, 8, 6, 3, 2, 1};
  for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); ++i) {
    touch(chunks[i] << 20);
    sleep_ms(400);
  }

  double start = now_s();
  int cycle = 0;
  while (now_s() - start < seconds) {
    printf("PHASE active\n");
    if (write(indexer_pipe, "a", 1) < 0 || write(cache_pipe, "a", 1) < 0) break;
    sleep_ms(ACTIVE_S * 1000);
    printf("PHASE idle\n");
    if (write(indexer_pipe, "i", 1) < 0 || write(cache_pipe, "i", 1) < 0) break;
    sleep_ms(IDLE_S * 1000);
    ++cycle;
  }
  printf("demo: %d cycles done\n", cycle);
  (void)!write(indexer_pipe, "q", 1);
  (void)!write(cache_pipe, "q", 1);
  waitpid(indexer, NULL, 0);
  waitpid(cache, NULL, 0);
  return 0;
}
