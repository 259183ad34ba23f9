// Small helpers of the preload library that must not allocate or use stdio: notices on
// stderr with write(2), string helpers, clocks, and memory straight from the kernel (raw
// syscalls, so that our own mappings never pass through our mmap hook).
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "preload/preload.h"

namespace leakscope::preload {
namespace {

std::atomic<bool> g_said{false};

void write_all_stderr(const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

void say(const char* what) {
  char line[512];
  size_t n = str_copy(line, sizeof(line) - 2, "leakscope: heap tracking: ");
  n += str_copy(line + n, sizeof(line) - 2 - n, what);
  line[n++] = '\n';
  int saved = errno;
  write_all_stderr(line, n);
  errno = saved;
}

void say_once(const char* what) {
  if (g_said.exchange(true)) return;
  say(what);
}

size_t str_len(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

bool str_eq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

bool str_starts(const char* s, const char* prefix) {
  while (*prefix)
    if (*s++ != *prefix++) return false;
  return true;
}

size_t str_copy(char* dst, size_t cap, const char* src) {
  if (cap == 0) return 0;
  size_t n = 0;
  while (src[n] && n + 1 < cap) {
    dst[n] = src[n];
    ++n;
  }
  dst[n] = 0;
  return n;
}

bool parse_u64_text(const char* s, uint64_t* out) {
  uint64_t v = 0;
  if (*s < '0' || *s > '9') return false;
  for (; *s >= '0' && *s <= '9'; ++s) {
    if (v > (~uint64_t{0} - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(*s - '0');
  }
  *out = v;
  return *s == 0;
}

uint64_t monotonic_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t random_u64() {
  uint64_t v = 0;
  if (::syscall(SYS_getrandom, &v, sizeof(v), GRND_NONBLOCK) != sizeof(v)) {
    v = monotonic_ns() * 0x9E3779B97F4A7C15ULL;
  }
  return v ^ (static_cast<uint64_t>(::syscall(SYS_getpid)) << 32);
}

void* map_pages(size_t bytes) {
  long r = ::syscall(SYS_mmap, nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r < 0 && r > -4096) return nullptr;
  return reinterpret_cast<void*>(r);
}

void unmap_pages(void* p, size_t bytes) { ::syscall(SYS_munmap, p, bytes); }

void SpinLock::lock() {
  for (int spins = 0; !try_lock(); ++spins) {
    if (spins < 64) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    } else {
      ::sched_yield();
    }
  }
}

}  // namespace leakscope::preload
