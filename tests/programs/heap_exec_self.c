// Heap test program: the first image leaks 2 x 5000 bytes then execs itself with "second";
// the second image leaks 3 x 70 bytes and exits. Only the second image's blocks are still
// allocated when the process exits (the first image's memory went with the exec).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void* volatile g_sink;

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "second") == 0) {
    for (int i = 0; i < 3; ++i) g_sink = malloc(70);
    printf("heap_exec_self second image done\n");
    return 0;
  }
  g_sink = malloc(5000);
  g_sink = malloc(5000);
  printf("heap_exec_self first image\n");
  fflush(stdout);
  execl(argv[0], argv[0], "second", (char*)NULL);  // argv[0]: the tests give a full path
  return 127;
}
