// The interposed allocation functions: the malloc family, the aligned allocators and every
// C++ operator new/delete form. Each calls the real allocator and records the result; a
// free is stamped *before* the real free so that a pointer reused at once by another
// thread is never ordered before its own free. Blocks carry no header (malloc_usable_size
// and friends keep working), and operator new only defers to the real one when allocation
// fails, so new_handler and std::bad_alloc behave exactly as without us.
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <new>

#include "preload/preload.h"

namespace leakscope::preload {

namespace {

std::atomic<long> g_resolving_tid{0};

// First call of any hook: find the real functions and start tracking. False while dlsym
// runs inside resolve_real_functions on this thread (the caller then uses the pool).
LS_NOINLINE bool resolve_now() {
  long tid = ::syscall(SYS_gettid);
  if (g_resolving_tid.load() == tid) return false;
  long expected = 0;
  while (!g_resolving_tid.compare_exchange_weak(expected, tid)) expected = 0;
  resolve_real_functions();
  g_resolving_tid.store(0);
  ensure_init();
  return true;
}

// The record functions run with the slot's guard raised (the shared slot has no owner to
// guard: it is never used by code that allocates).
struct SlotGuard {
  explicit SlotGuard(Slot* s) : slot(s->owner.load(std::memory_order_relaxed) > 0 ? s : nullptr) {
    if (slot) ++slot->guard;
  }
  ~SlotGuard() {
    if (slot) --slot->guard;
  }
  Slot* slot;
};

// Before the real functions are known: a bootstrap block while dlsym runs, else nullptr
// after resolving (the caller goes on with the real function).
LS_NOINLINE void* early_alloc(size_t n, size_t align) {
  if (!resolve_now()) return bootstrap_alloc(n, align);
  return nullptr;
}

}  // namespace

void record_alloc(Slot* s, void* p, size_t size, uintptr_t pc0, void* frame) {
  SlotGuard guard(s);
  read_pending_stack(s);  // the allocator's call is over: reading the bounds may allocate
  if (g.sample_interval != 0 && !sample_allocation(s, size, p)) return;
  uint32_t stack = capture_stack(s, pc0, frame);
  uint64_t w[2] = {format::record_head(format::RecordKind::kAlloc, reinterpret_cast<uintptr_t>(p)),
                   size};
  enter_slot(s);
  append(s, w, 3, event_ts(s), stack);
  leave_slot(s);
}

void record_free(Slot* s, void* p) {
  SlotGuard guard(s);
  uint64_t w[1] = {format::record_head(format::RecordKind::kFree, reinterpret_cast<uintptr_t>(p))};
  enter_slot(s);
  append(s, w, 2, event_ts(s), 0);
  leave_slot(s);
}

void record_realloc(Slot* s, void* old_p, bool old_recorded, void* new_p, size_t size,
                    uint64_t free_ts, uintptr_t pc0, void* frame) {
  SlotGuard guard(s);
  read_pending_stack(s);
  bool record_new = new_p != nullptr && (g.sample_interval == 0 || sample_allocation(s, size, new_p));
  uint32_t stack = record_new ? capture_stack(s, pc0, frame) : 0;
  enter_slot(s);
  if (old_recorded) {
    uint64_t w[1] = {format::record_head(format::RecordKind::kFree, reinterpret_cast<uintptr_t>(old_p))};
    append(s, w, 2, free_ts, 0);
  }
  if (record_new) {
    uint64_t w[2] = {
        format::record_head(format::RecordKind::kAlloc, reinterpret_cast<uintptr_t>(new_p)), size};
    append(s, w, 3, event_ts(s), stack);
  }
  leave_slot(s);
}

}  // namespace leakscope::preload

using namespace leakscope::preload;

#define LS_PC0 reinterpret_cast<uintptr_t>(__builtin_return_address(0))
#define LS_FRAME __builtin_frame_address(0)

namespace {

// Records an allocation made by the hook whose caller is pc0; in sampled mode the common
// case (not sampled) stays inline.
__attribute__((always_inline)) inline void on_alloc(void* p, size_t size, uintptr_t pc0,
                                                    void* frame) {
  if (LS_UNLIKELY(p == nullptr)) return;
  if (fast_alloc_skips(size)) return;  // false at once in full tracking
  Slot* s = hook_slot();
  if (s == nullptr) return;
  if (g.sample_interval != 0 && sample_skips(s, size)) return;
  record_alloc(s, p, size, pc0, frame);
}

// Before the real free: in sampled mode only blocks in the sampled set are recorded.
__attribute__((always_inline)) inline void on_free(void* p) {
  if (g.sample_interval != 0) {
    if (LS_LIKELY(!sample_forget(p))) return;
  }
  if (Slot* s = hook_slot()) record_free(s, p);
}

}  // namespace

// ---- the malloc family
//
// The exported malloc, free, calloc, realloc and operator new/delete (preload_entry.cc)
// decide the sampled mode's common case (not sampled) and tail-call the real function;
// everything else tail-calls one of these, so each starts with the program's return
// address and frame exactly where the exported function found them.

void* leakscope::preload::malloc_tracked(size_t n) {
  if (LS_UNLIKELY(real.malloc == nullptr)) {
    if (void* p = early_alloc(n, 16)) return p;
  }
  void* p = real.malloc(n);
  on_alloc(p, n, LS_PC0, LS_FRAME);
  return p;
}

void leakscope::preload::free_tracked(void* p) {
  if (LS_UNLIKELY(p == nullptr)) return;
  if (LS_UNLIKELY(real.free == nullptr || is_bootstrap(p))) {
    if (is_bootstrap(p)) return;  // the bootstrap pool is never returned
    if (!resolve_now()) return;   // inside dlsym: leave it (cannot happen with glibc)
  }
  on_free(p);
  real.free(p);
}

void* leakscope::preload::calloc_tracked(size_t n, size_t size) {
  if (LS_UNLIKELY(real.calloc == nullptr || real.malloc == nullptr)) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) return nullptr;
    if (void* p = early_alloc(bytes, 16)) return memset(p, 0, bytes);
  }
  void* p = real.calloc(n, size);
  on_alloc(p, n * size, LS_PC0, LS_FRAME);
  return p;
}

void* leakscope::preload::realloc_tracked(void* p, size_t n) {
  if (LS_UNLIKELY(real.realloc == nullptr || real.malloc == nullptr || is_bootstrap(p))) {
    if (is_bootstrap(p)) {
      // Move a bootstrap block into the real heap (its size sits just before it).
      size_t old = *reinterpret_cast<const size_t*>(static_cast<char*>(p) - 16);
      void* q = malloc(n);
      if (q) memcpy(q, p, old < n ? old : n);
      return q;
    }
    if (void* q = early_alloc(n, 16)) return q;
  }
  Slot* s = hook_slot();
  if (s == nullptr) return real.realloc(p, n);
  if (p == nullptr) {
    void* q = real.realloc(nullptr, n);
    on_alloc(q, n, LS_PC0, LS_FRAME);
    return q;
  }
  // In sampled mode the old pointer leaves the set before the real call: once it is
  // freed another thread may get (and sample) the same address.
  bool old_recorded = g.sample_interval == 0 || sample_forget(p);
  uint64_t free_ts = old_recorded ? event_ts(s) : 0;
  void* q = real.realloc(p, n);
  if (q == nullptr && n != 0) {  // failed: p is untouched
    if (g.sample_interval != 0 && old_recorded) sample_remember_again(p);
    return q;
  }
  record_realloc(s, p, old_recorded, q, n, free_ts, LS_PC0, LS_FRAME);
  return q;
}

LS_EXPORT void* reallocarray(void* p, size_t n, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(n, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  Slot* s = real.realloc == nullptr || is_bootstrap(p) ? nullptr : hook_slot();
  if (s == nullptr) return realloc(p, bytes);
  if (p == nullptr) {
    void* q = real.realloc(nullptr, bytes);
    on_alloc(q, bytes, LS_PC0, LS_FRAME);
    return q;
  }
  bool old_recorded = g.sample_interval == 0 || sample_forget(p);
  uint64_t free_ts = old_recorded ? event_ts(s) : 0;
  void* q = real.realloc(p, bytes);
  if (q == nullptr && bytes != 0) {
    if (g.sample_interval != 0 && old_recorded) sample_remember_again(p);
    return q;
  }
  record_realloc(s, p, old_recorded, q, bytes, free_ts, LS_PC0, LS_FRAME);
  return q;
}

LS_EXPORT int posix_memalign(void** out, size_t align, size_t n) {
  if (LS_UNLIKELY(real.posix_memalign == nullptr)) {
    if (!resolve_now() || real.posix_memalign == nullptr) {
      *out = bootstrap_alloc(n, align);
      return *out ? 0 : ENOMEM;
    }
  }
  int r = real.posix_memalign(out, align, n);
  if (r == 0) on_alloc(*out, n, LS_PC0, LS_FRAME);
  return r;
}

LS_EXPORT void* aligned_alloc(size_t align, size_t n) {
  if (LS_UNLIKELY(real.aligned_alloc == nullptr)) {
    if (void* p = early_alloc(n, align)) return p;
    if (real.aligned_alloc == nullptr) return nullptr;
  }
  void* p = real.aligned_alloc(align, n);
  on_alloc(p, n, LS_PC0, LS_FRAME);
  return p;
}

LS_EXPORT void* memalign(size_t align, size_t n) {
  if (LS_UNLIKELY(real.memalign == nullptr)) {
    if (void* p = early_alloc(n, align)) return p;
    if (real.memalign == nullptr) return nullptr;
  }
  void* p = real.memalign(align, n);
  on_alloc(p, n, LS_PC0, LS_FRAME);
  return p;
}

LS_EXPORT void* valloc(size_t n) {
  if (LS_UNLIKELY(real.valloc == nullptr)) {
    if (void* p = early_alloc(n, 4096)) return p;
    if (real.valloc == nullptr) return nullptr;
  }
  void* p = real.valloc(n);
  on_alloc(p, n, LS_PC0, LS_FRAME);
  return p;
}

LS_EXPORT void* pvalloc(size_t n) {
  if (LS_UNLIKELY(real.pvalloc == nullptr)) {
    if (void* p = early_alloc(n, 4096)) return p;
    if (real.pvalloc == nullptr) return nullptr;
  }
  void* p = real.pvalloc(n);
  // pvalloc rounds the size up to whole pages, and the program owns all of them.
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t rounded = n == 0 ? page : (n + page - 1) & ~(page - 1);
  on_alloc(p, rounded, LS_PC0, LS_FRAME);
  return p;
}

// ---- C++ operator new / delete

namespace {

inline void* plain_new_alloc(size_t n) {
  if (LS_UNLIKELY(real.malloc == nullptr)) {
    if (void* p = early_alloc(n ? n : 1, 16)) return p;
  }
  return real.malloc(n ? n : 1);
}

inline void* aligned_new_alloc(size_t n, size_t align) {
  if (LS_UNLIKELY(real.memalign == nullptr)) {
    if (void* p = early_alloc(n ? n : 1, align)) return p;
    if (real.memalign == nullptr) return nullptr;
  }
  return real.memalign(align, n ? n : 1);
}

template <typename F>
F next_symbol(F* cache, const char* name) {
  if (*cache == nullptr) {
    GuardScope guard;
    *cache = reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
  }
  return *cache;
}

void* (*g_new)(size_t);
void* (*g_new_array)(size_t);
void* (*g_new_nothrow)(size_t, const std::nothrow_t&);
void* (*g_new_array_nothrow)(size_t, const std::nothrow_t&);
void* (*g_new_aligned)(size_t, std::align_val_t);
void* (*g_new_array_aligned)(size_t, std::align_val_t);
void* (*g_new_aligned_nothrow)(size_t, std::align_val_t, const std::nothrow_t&);
void* (*g_new_array_aligned_nothrow)(size_t, std::align_val_t, const std::nothrow_t&);

// When the allocation fails, the real operator runs the new_handler loop and throws (or
// returns null for nothrow); its own malloc calls are then recorded by our malloc.
LS_NOINLINE void* new_fallback(NewForm form, size_t n, size_t align) {
  auto a = static_cast<std::align_val_t>(align);
  const std::nothrow_t kNothrow{};  // not std::nothrow: that would link libstdc++ in
  switch (form) {
    case NewForm::kNew: return next_symbol(&g_new, "_Znwm")(n);
    case NewForm::kNewArray: return next_symbol(&g_new_array, "_Znam")(n);
    case NewForm::kNewNothrow: return next_symbol(&g_new_nothrow, "_ZnwmRKSt9nothrow_t")(n, kNothrow);
    case NewForm::kNewArrayNothrow:
      return next_symbol(&g_new_array_nothrow, "_ZnamRKSt9nothrow_t")(n, kNothrow);
    case NewForm::kNewAligned: return next_symbol(&g_new_aligned, "_ZnwmSt11align_val_t")(n, a);
    case NewForm::kNewArrayAligned:
      return next_symbol(&g_new_array_aligned, "_ZnamSt11align_val_t")(n, a);
    case NewForm::kNewAlignedNothrow:
      return next_symbol(&g_new_aligned_nothrow, "_ZnwmSt11align_val_tRKSt9nothrow_t")(n, a, kNothrow);
    case NewForm::kNewArrayAlignedNothrow:
      return next_symbol(&g_new_array_aligned_nothrow, "_ZnamSt11align_val_tRKSt9nothrow_t")(
          n, a, kNothrow);
  }
  return nullptr;
}

}  // namespace

void* leakscope::preload::new_tracked(NewForm form, size_t n, size_t align) {
  void* p = align == 0 ? plain_new_alloc(n) : aligned_new_alloc(n, align);
  if (LS_UNLIKELY(p == nullptr)) return new_fallback(form, n, align);
  on_alloc(p, n, LS_PC0, LS_FRAME);
  return p;
}
