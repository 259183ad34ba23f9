// bench/heap_overhead's reference interposer: the least an LD_PRELOAD heap sampler can do.
// malloc, calloc and realloc count the thread's bytes down to the next sample and free tests
// one bit of a filter, as the sampled mode's fast paths do, then each tail-calls glibc; nothing is
// ever sampled or recorded. Built twice: alone, and with one idle helper thread
// (-DLS_FLOOR_THREAD), since a second thread alone moves glibc's malloc to its locked
// paths, and every tracker needs one to ship data while the program idles. Its ratio to
// the program alone is the floor under `--heap=sample` on each workload.
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

extern void* __libc_malloc(size_t);
extern void __libc_free(void*);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);

#define EXPORT __attribute__((visibility("default")))
#define HIDDEN __attribute__((visibility("hidden")))

// Called through pointers, as the preload calls the real functions (set before any
// constructor runs: other libraries' constructors may allocate before ours).
HIDDEN void* (*g_malloc)(size_t) = __libc_malloc;
HIDDEN void (*g_free)(void*) = __libc_free;
HIDDEN void* (*g_calloc)(size_t, size_t) = __libc_calloc;
HIDDEN void* (*g_realloc)(void*, size_t) = __libc_realloc;
// Per thread, as the preload's counts are once a second thread records (a shared count
// would bounce its cache line between the threads). Thread-local storage is fine here:
// this library is only measured, never shipped.
static __thread int64_t t_bytes_left __attribute__((tls_model("initial-exec")));
HIDDEN uint64_t g_filter[1024];  // 64 Ki bits, as the preload's

static inline int not_sampled(size_t n) {
  int64_t left = t_bytes_left - (int64_t)n;
  if (__builtin_expect(left <= 0, 0)) return 0;
  t_bytes_left = left;
  return 1;
}

static inline int not_in_filter(const void* p) {
  uint64_t b = (((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL) >> 48;
  return !((g_filter[b >> 6] >> (b & 63)) & 1);
}

// Reached once per thread (its count starts at 0), then never: the count is far beyond any
// workload. Present so that the fast paths branch exactly as the preload's do.
__attribute__((noinline)) static void resample(void) { t_bytes_left = INT64_MAX / 2; }

EXPORT void* malloc(size_t n) {
  if (__builtin_expect(not_sampled(n), 1)) return g_malloc(n);
  resample();
  return g_malloc(n);
}

EXPORT void free(void* p) {
  if (__builtin_expect(not_in_filter(p), 1)) return g_free(p);
  resample();
  g_free(p);
}

EXPORT void* calloc(size_t n, size_t size) {
  if (__builtin_expect(not_sampled(n * size), 1)) return g_calloc(n, size);
  resample();
  return g_calloc(n, size);
}

EXPORT void* realloc(void* p, size_t n) {
  if (__builtin_expect(not_in_filter(p) && not_sampled(n), 1)) return g_realloc(p, n);
  resample();
  return g_realloc(p, n);
}

#ifdef LS_FLOOR_THREAD
static void* idle_helper(void* arg) {
  for (;;) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return arg;
}

__attribute__((constructor)) static void start(void) {
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_create(&t, &attr, idle_helper, NULL);
  pthread_attr_destroy(&attr);
}
#endif
