// Heap test program: anonymous memory mapped by the program itself. Maps 4 regions of
// 64 KiB, unmaps one, punches a 16 KiB hole in another, grows a third to 128 KiB with
// mremap and maps a file over half of the last: 48 + 128 + 32 = 208 KiB stay mapped.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  const size_t k = 1024;
  char* r[4];
  for (int i = 0; i < 4; ++i) {
    r[i] = mmap(NULL, 64 * k, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r[i] == MAP_FAILED) return 1;
    r[i][0] = 1;
  }
  munmap(r[0], 64 * k);
  munmap(r[1] + 16 * k, 16 * k);
  char* grown = mremap(r[2], 64 * k, 128 * k, MREMAP_MAYMOVE);
  if (grown == MAP_FAILED) return 1;
  FILE* f = tmpfile();
  if (f == NULL || ftruncate(fileno(f), 32 * k) != 0) return 1;
  if (mmap(r[3], 32 * k, PROT_READ, MAP_PRIVATE | MAP_FIXED, fileno(f), 0) == MAP_FAILED) return 1;
  printf("heap_mmap done\n");
  return 0;
}
