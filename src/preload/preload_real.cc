// Finding the functions the hooks wrap, with dlsym(RTLD_NEXT) on the first call of any hook
// (the dynamic linker and other libraries' constructors allocate before our constructor
// runs). The allocations dlsym itself makes while it runs are served from a small static
// bootstrap pool that is never returned; glibc's __libc_* entry points are the fallback
// when dlsym cannot find the malloc family.
#include <dlfcn.h>
#include <string.h>

#include "preload/preload.h"

extern "C" {
void* __libc_malloc(size_t) __attribute__((weak));
void __libc_free(void*) __attribute__((weak));
void* __libc_calloc(size_t, size_t) __attribute__((weak));
void* __libc_realloc(void*, size_t) __attribute__((weak));
void* __libc_memalign(size_t, size_t) __attribute__((weak));
void* __libc_valloc(size_t) __attribute__((weak));
void* __libc_pvalloc(size_t) __attribute__((weak));
}

namespace leakscope::preload {

RealFunctions real;

alignas(64) char g_bootstrap_pool[kBootstrapBytes];

namespace {

char* const g_pool = g_bootstrap_pool;
std::atomic<size_t> g_pool_used{0};
SpinLock g_resolve_lock;
std::atomic<bool> g_resolved{false};

template <typename F>
void next(F* out, const char* name) {
  if (*out == nullptr) *out = reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

void* bootstrap_alloc(size_t n, size_t align) {
  if (align < 16) align = 16;
  // A 16-byte header before the block keeps its size for realloc.
  for (;;) {
    size_t used = g_pool_used.load(std::memory_order_relaxed);
    size_t start = (used + 16 + align - 1) & ~(align - 1);
    if (start + n > kBootstrapBytes) return nullptr;
    if (g_pool_used.compare_exchange_weak(used, start + n)) {
      *reinterpret_cast<size_t*>(g_pool + start - 16) = n;
      return g_pool + start;
    }
  }
}

void resolve_real_functions() {
  if (g_resolved.load(std::memory_order_acquire)) return;
  g_resolve_lock.lock();
  if (!g_resolved.load(std::memory_order_relaxed)) {
    // RTLD_NEXT first, so that an allocator preloaded after us stays the one in use; while
    // dlsym runs, the hooks see real.malloc == nullptr and serve it from the bootstrap pool.
    RealFunctions r = {};
    next(&r.malloc, "malloc");
    next(&r.free, "free");
    next(&r.calloc, "calloc");
    next(&r.realloc, "realloc");
    if (!r.malloc || !r.free || !r.calloc || !r.realloc) {
      r.malloc = __libc_malloc;
      r.free = __libc_free;
      r.calloc = __libc_calloc;
      r.realloc = __libc_realloc;
    }
    next(&r.memalign, "memalign");
    next(&r.valloc, "valloc");
    next(&r.pvalloc, "pvalloc");
    if (!r.memalign) r.memalign = __libc_memalign;
    if (!r.valloc) r.valloc = __libc_valloc;
    if (!r.pvalloc) r.pvalloc = __libc_pvalloc;
    next(&r.posix_memalign, "posix_memalign");
    next(&r.aligned_alloc, "aligned_alloc");
    next(&r.mmap, "mmap");
    next(&r.munmap, "munmap");
    next(&r.mremap, "mremap");
    next(&r.dlopen, "dlopen");
    next(&r.execve, "execve");
    next(&r.execvpe, "execvpe");
    next(&r.fexecve, "fexecve");
    next(&r.exit_, "_exit");
    next(&r.abort, "abort");
    next(&r.assert_fail, "__assert_fail");
    // Publish the malloc family last: the hooks test real.malloc to know resolution is done.
    void* (*m)(size_t) = r.malloc;
    r.malloc = nullptr;
    real = r;
    __atomic_store_n(&real.malloc, m, __ATOMIC_RELEASE);
    g_resolved.store(true, std::memory_order_release);
  }
  g_resolve_lock.unlock();
}

}  // namespace leakscope::preload
