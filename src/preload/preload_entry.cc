// The hot exported functions: malloc, free, calloc, realloc and every C++ operator
// new/delete form. Each decides the sampled mode's common case (not sampled) from one
// cache line (g_fast) and tail-calls the real function; anything else tail-calls the
// tracked half in preload_hooks.cc. This file alone is built without frame pointers and
// with sibling calls (src/preload/CMakeLists.txt), so these functions set up no frame:
// the tracked half then starts with the program's return address and frame pointer
// exactly as the program left them, which is where its stack walk begins. The fast path
// costs a few instructions and one indirect jump, as little as an interposed function can.
#include <new>

#include "preload/preload.h"

using namespace leakscope::preload;

LS_EXPORT void* malloc(size_t n) {
  if (LS_LIKELY(fast_alloc_skips(n))) return g_fast.malloc(n);
  return malloc_tracked(n);
}

namespace {
__attribute__((always_inline)) inline void release(void* p) {
  if (LS_LIKELY(fast_free_skips(p))) return g_fast.free(p);
  return free_tracked(p);
}
}  // namespace

LS_EXPORT void free(void* p) { release(p); }

LS_EXPORT void* calloc(size_t n, size_t size) {
  size_t total;
  if (LS_LIKELY(!__builtin_mul_overflow(n, size, &total) && fast_alloc_skips(total)))
    return g_fast.calloc(n, size);
  return calloc_tracked(n, size);
}

LS_EXPORT void* realloc(void* p, size_t n) {
  if (LS_LIKELY(fast_free_skips(p) && fast_alloc_skips(n))) return g_fast.realloc(p, n);
  return realloc_tracked(p, n);
}

// operator new: the real operator new only runs when allocation fails (new_tracked), so
// new_handler and std::bad_alloc behave exactly as without us.
#define LS_NEW(name, form)                                          \
  LS_EXPORT void* name {                                            \
    if (LS_LIKELY(fast_alloc_skips(n))) {                           \
      if (void* p = g_fast.malloc(n ? n : 1); LS_LIKELY(p != nullptr)) return p; \
    }                                                               \
    return new_tracked(NewForm::form, n, 0);                        \
  }
#define LS_NEW_ALIGNED(name, form)                                                \
  LS_EXPORT void* name {                                                          \
    size_t align = static_cast<size_t>(a);                                        \
    if (LS_LIKELY(real.memalign != nullptr && fast_alloc_skips(n))) {             \
      if (void* p = real.memalign(align, n ? n : 1); LS_LIKELY(p != nullptr)) return p; \
    }                                                                             \
    return new_tracked(NewForm::form, n, align);                                  \
  }

LS_NEW(_Znwm(size_t n), kNew)
LS_NEW(_Znam(size_t n), kNewArray)
LS_NEW(_ZnwmRKSt9nothrow_t(size_t n, const std::nothrow_t&), kNewNothrow)
LS_NEW(_ZnamRKSt9nothrow_t(size_t n, const std::nothrow_t&), kNewArrayNothrow)
LS_NEW_ALIGNED(_ZnwmSt11align_val_t(size_t n, std::align_val_t a), kNewAligned)
LS_NEW_ALIGNED(_ZnamSt11align_val_t(size_t n, std::align_val_t a), kNewArrayAligned)
LS_NEW_ALIGNED(_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, std::align_val_t a,
                                                  const std::nothrow_t&),
               kNewAlignedNothrow)
LS_NEW_ALIGNED(_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, std::align_val_t a,
                                                  const std::nothrow_t&),
               kNewArrayAlignedNothrow)

// operator delete, every form: a free (the size and alignment hints are not needed).
#define LS_DELETE(name) \
  LS_EXPORT void name { release(p); }

LS_DELETE(_ZdlPv(void* p))
LS_DELETE(_ZdaPv(void* p))
LS_DELETE(_ZdlPvm(void* p, size_t))
LS_DELETE(_ZdaPvm(void* p, size_t))
LS_DELETE(_ZdlPvRKSt9nothrow_t(void* p, const std::nothrow_t&))
LS_DELETE(_ZdaPvRKSt9nothrow_t(void* p, const std::nothrow_t&))
LS_DELETE(_ZdlPvSt11align_val_t(void* p, std::align_val_t))
LS_DELETE(_ZdaPvSt11align_val_t(void* p, std::align_val_t))
LS_DELETE(_ZdlPvmSt11align_val_t(void* p, size_t, std::align_val_t))
LS_DELETE(_ZdaPvmSt11align_val_t(void* p, size_t, std::align_val_t))
LS_DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t(void* p, std::align_val_t, const std::nothrow_t&))
LS_DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t(void* p, std::align_val_t, const std::nothrow_t&))
