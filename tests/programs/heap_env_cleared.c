// Heap test program: re-executes itself with an empty environment (as `env -i` would). The
// preload library puts its variables back, so the new image is tracked too: it leaks
// 4 x 90 bytes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void* volatile g_sink;

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "again") == 0) {
    for (int i = 0; i < 4; ++i) g_sink = malloc(90);
    printf("heap_env_cleared second image (%s)\n", getenv("PATH") ? "PATH set" : "no PATH");
    return 0;
  }
  printf("heap_env_cleared first image\n");
  fflush(stdout);
  char* args[] = {argv[0], "again", NULL};
  char* empty[] = {NULL};
  execve(argv[0], args, empty);  // argv[0]: the tests give a full path
  return 127;
}
