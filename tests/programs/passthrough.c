// Target program for "observe without disturbing": copies stdin to stdout in upper case,
// writes known bytes (including a NUL and no final newline) to stdout and stderr, prints
// whether its streams are terminals, and exits with the status given as argument — or
// dies of SIGTERM when the argument is "kill".
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  char buf[4096];
  ssize_t n;
  while ((n = read(0, buf, sizeof(buf))) > 0) {
    for (ssize_t i = 0; i < n; ++i) buf[i] = (char)toupper((unsigned char)buf[i]);
    fwrite(buf, 1, (size_t)n, stdout);
  }
  printf("PHASE start\n");
  fwrite("bin\0ary", 1, 7, stdout);
  fprintf(stderr, "to stderr: %s\n", argc > 1 ? argv[1] : "0");
  printf("\nargs:");
  for (int i = 1; i < argc; ++i) printf(" [%s]", argv[i]);
  printf("\nPHASE end");
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "kill") == 0) raise(SIGTERM);
  return argc > 1 ? atoi(argv[1]) : 0;
}
