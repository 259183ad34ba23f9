// Heap test program: defines its own malloc family (a bump allocator over a static arena),
// so every call in the process, glibc's included, goes to it and no LD_PRELOAD library can
// interpose. leakscope must say so and record no allocations for it (valgrind, which only
// replaces the allocator in libc, sees none either).
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

static _Alignas(64) unsigned char arena[8 << 20];
static size_t used;

static void* bump(size_t n, size_t align) {
  size_t start = (used + sizeof(size_t) + align - 1) & ~(align - 1);
  if (start + n > sizeof(arena)) return NULL;
  *(size_t*)(arena + start - sizeof(size_t)) = n;
  used = start + n;
  return arena + start;
}

void* malloc(size_t n) { return bump(n, 16); }
void free(void* p) { (void)p; }
void* calloc(size_t n, size_t m) {
  void* p = bump(n * m, 16);
  if (p) memset(p, 0, n * m);
  return p;
}
void* realloc(void* p, size_t n) {
  void* q = bump(n, 16);
  if (p && q) {
    size_t old = *(size_t*)((unsigned char*)p - sizeof(size_t));
    memcpy(q, p, old < n ? old : n);
  }
  return q;
}
void* memalign(size_t align, size_t n) { return bump(n, align < 16 ? 16 : align); }
void* aligned_alloc(size_t align, size_t n) { return memalign(align, n); }
int posix_memalign(void** out, size_t align, size_t n) {
  *out = memalign(align, n);
  return *out ? 0 : ENOMEM;
}
void* valloc(size_t n) { return memalign(4096, n); }
void* pvalloc(size_t n) { return memalign(4096, (n + 4095) & ~(size_t)4095); }
size_t malloc_usable_size(void* p) { return p ? *(size_t*)((unsigned char*)p - sizeof(size_t)) : 0; }

void* volatile g_sink;

int main(void) {
  for (int i = 0; i < 10; ++i) g_sink = malloc(100);
  printf("heap_own_malloc done\n");
  return 0;
}
