// Target program: a small tree made with fork, vfork+exec, a raw clone() and a grandchild.
// Child "leaky" grows at a known rate; the others stay flat. Exits with status 3 after all children.
// Usage: fork_tree SECONDS RATE_KIB_PER_S
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Keeps the compiler from eliding allocations that are never read.
void* volatile g_sink;

static void grow(double seconds, double rate_kib) {
  struct timespec step = {0, 50 * 1000 * 1000};
  int steps = (int)(seconds * 20);
  size_t per_step = (size_t)(rate_kib * 1024.0 / 20.0);
  for (int i = 0; i < steps; ++i) {
    char* p = malloc(per_step);
    memset(p, 3, per_step);
    g_sink = p;
    nanosleep(&step, NULL);
  }
}

static int cloned_main(void* arg) {
  prctl(PR_SET_NAME, "cloned");
  sleep((unsigned)(*(double*)arg));
  return 0;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3;
  double rate = argc > 2 ? atof(argv[2]) : 1024;
  char secs[32];
  snprintf(secs, sizeof(secs), "%g", seconds);
  pid_t leaky = fork();
  if (leaky == 0) {
    prctl(PR_SET_NAME, "leaky");
    pid_t grandchild = fork();
    if (grandchild == 0) {
      prctl(PR_SET_NAME, "grandchild");
      sleep((unsigned)seconds);
      _exit(0);
    }
    grow(seconds, rate);
    waitpid(grandchild, NULL, 0);
    _exit(0);
  }
  pid_t sleeper = vfork();
  if (sleeper == 0) {
    execlp("sleep", "sleep", secs, (char*)NULL);
    _exit(127);
  }
  static char clone_stack[64 * 1024];
  pid_t cloned = clone(cloned_main, clone_stack + sizeof(clone_stack), SIGCHLD, &seconds);
  waitpid(leaky, NULL, 0);
  waitpid(sleeper, NULL, 0);
  waitpid(cloned, NULL, 0);
  return 3;
}
