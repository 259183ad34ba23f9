// Heap test program: every aligned allocator — posix_memalign, aligned_alloc, memalign,
// valloc, pvalloc — each checked for its alignment; one block of each is leaked and one
// freed. pvalloc rounds its size up to a whole page. With argv[1] = "no-pvalloc" pvalloc is
// left out: valgrind 3.19 aborts the program at pvalloc, so the comparison runs without it.
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void* volatile g_sink;

static void check(void* p, size_t align) {
  if (p == NULL || ((uintptr_t)p % align) != 0) {
    printf("misaligned %p %zu\n", p, align);
    exit(1);
  }
}

int main(int argc, char** argv) {
  int with_pvalloc = !(argc > 1 && strcmp(argv[1], "no-pvalloc") == 0);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  for (int keep = 0; keep < 2; ++keep) {
    void* a = NULL;
    if (posix_memalign(&a, 64, 200) != 0) return 1;
    check(a, 64);
    void* b = aligned_alloc(256, 512);
    check(b, 256);
    void* c = memalign(128, 300);
    check(c, 128);
    void* d = valloc(100);
    check(d, page);
    void* e = with_pvalloc ? pvalloc(100) : NULL;
    if (with_pvalloc) check(e, page);
    if (keep) {
      g_sink = a; g_sink = b; g_sink = c; g_sink = d; g_sink = e;
    } else {
      free(a); free(b); free(c); free(d); free(e);
    }
  }
  printf("heap_aligned done\n");
  return 0;
}
