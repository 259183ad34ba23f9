// Heap test program: allocations made inside glibc on the program's behalf — strdup,
// strndup, asprintf, getline, realpath, a FILE left open, scandir — some freed, some leaked.
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void* volatile g_sink;

int main(void) {
  g_sink = strdup("leaked by strdup");
  free(strndup("freed", 3));
  char* s = NULL;
  if (asprintf(&s, "%d-%s", 42, "asprintf") < 0) return 1;
  g_sink = s;
  FILE* f = fopen("/proc/self/status", "r");  // left open: its buffers stay allocated
  if (f == NULL) return 1;
  char* line = NULL;
  size_t cap = 0;
  if (getline(&line, &cap, f) < 0) return 1;
  free(line);
  g_sink = realpath("/proc/self", NULL);
  struct dirent** names = NULL;
  int n = scandir("/", &names, NULL, alphasort);
  for (int i = 0; i < n; ++i) free(names[i]);
  free(names);
  printf("heap_libc_internal done\n");
  return 0;
}
