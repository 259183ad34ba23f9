// Target program: makes a zombie (a child left unreaped for a while) and an orphan (a
// grandchild whose parent exits first, so it is reparented). Both must stay in the tree.
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Keeps the compiler from eliding allocations that are never read.
void* volatile g_sink;

int main(void) {
  struct timespec ms300 = {0, 300 * 1000 * 1000};
  pid_t z = fork();
  if (z == 0) {
    prctl(PR_SET_NAME, "zombie");
    nanosleep(&ms300, NULL);
    _exit(5);
  }
  pid_t middle = fork();
  if (middle == 0) {
    prctl(PR_SET_NAME, "middle");
    if (fork() == 0) {
      prctl(PR_SET_NAME, "orphan");
      struct timespec s = {1, 500 * 1000 * 1000};
      char* p = malloc(8 << 20);
      memset(p, 1, 8 << 20);
      g_sink = p;
      nanosleep(&s, NULL);
      _exit(0);
    }
    nanosleep(&ms300, NULL);
    _exit(0);  // the orphan is reparented now
  }
  struct timespec s = {1, 200 * 1000 * 1000};
  nanosleep(&s, NULL);  // z is a zombie for ~0.9 s
  waitpid(z, NULL, 0);
  waitpid(middle, NULL, 0);
  struct timespec rest = {1, 0};
  nanosleep(&rest, NULL);
  return 0;
}
