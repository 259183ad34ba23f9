// Call stacks of allocations, as cheap as correctness allows:
//   1. a per-thread cache keyed by (return address, stack pointer) of the hook: a hit is
//      re-validated by reading each cached return-address slot on the live stack (same
//      slots holding the same values means the same chain of live frames), so most
//      allocations cost a few loads and reuse the interned id;
//   2. on a miss, frame-pointer walking while every frame's function has the standard
//      `push %rbp; mov %rsp,%rbp` prologue (checked once per return address, cached
//      process-wide); at the first frame without one, the whole stack is unwound with the
//      DWARF CFI unwinder of libgcc (_Unwind_Backtrace, dlopen'd RTLD_LOCAL). libunwind is
//      not used: it has thread-local storage, and loading any library with a TLS segment
//      makes glibc allocate a larger DTV for every later thread, which the program would
//      then be seen to allocate (libgcc_s has none);
//   3. the pcs are interned process-wide (hash -> id); a new stack's definition is sent
//      before its id is published, so the collector always knows an id before its use.
#include <dlfcn.h>
#include <unwind.h>

#include "preload/preload.h"

namespace leakscope::preload {

struct UnwindCache {
  static constexpr int kEntries = 256;
  struct Entry {
    uintptr_t pc0;
    uintptr_t sp;
    uint32_t stack_id;
    uint32_t depth;
    uint32_t max_off;
    uint32_t off[format::kMaxStackDepth];  // slot of pcs[k] relative to sp (k >= 1)
    uint64_t pcs[format::kMaxStackDepth];
  };
  Entry e[kEntries];
};

namespace {

constexpr int kMaxDepth = format::kMaxStackDepth;

// libgcc's unwinder, resolved in the constructor (dlopen, so C programs need not link it).
struct GccUnwinder {
  _Unwind_Reason_Code (*backtrace)(_Unwind_Trace_Fn, void*);
  _Unwind_Ptr (*get_ip_info)(struct _Unwind_Context*, int*);
  _Unwind_Word (*get_cfa)(struct _Unwind_Context*);
  void* (*find_enclosing_function)(void*);
};
GccUnwinder g_gcc;
std::atomic<bool> g_unwinder_ready{false};

// ---- return address -> "its function keeps a frame pointer" (process-wide, insert-only).
enum FrameKind : uint64_t { kUnknown = 0, kFramePointer = 1, kNoFramePointer = 2 };
constexpr size_t kKindEntries = 1 << 16;
std::atomic<uint64_t>* g_kinds = nullptr;

inline uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

bool has_frame_pointer_prologue(uintptr_t start) {
  auto p = reinterpret_cast<const uint8_t*>(start);
  if (p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa) p += 4;  // endbr64
  return p[0] == 0x55 && p[1] == 0x48 && p[2] == 0x89 && p[3] == 0xe5;  // push rbp; mov rsp,rbp
}

LS_NOINLINE uint64_t classify_slow(uintptr_t pc) {
  if (!g_unwinder_ready.load(std::memory_order_acquire)) return kUnknown;
  // The function's start from its FDE (libgcc looks up pc - 1: inside the call).
  void* start = g_gcc.find_enclosing_function(reinterpret_cast<void*>(pc));
  if (start == nullptr) return kNoFramePointer;
  return has_frame_pointer_prologue(reinterpret_cast<uintptr_t>(start)) ? kFramePointer
                                                                          : kNoFramePointer;
}

uint64_t frame_kind(uintptr_t pc) {
  if (LS_UNLIKELY(g_kinds == nullptr)) return classify_slow(pc);
  size_t i = mix(pc) & (kKindEntries - 1);
  for (int probe = 0; probe < 8; ++probe, i = (i + 1) & (kKindEntries - 1)) {
    uint64_t v = g_kinds[i].load(std::memory_order_relaxed);
    if (v == 0) {
      uint64_t kind = classify_slow(pc);
      if (kind != kUnknown) {
        uint64_t expected = 0;
        g_kinds[i].compare_exchange_strong(expected, (uint64_t{pc} << 2) | kind);
      }
      return kind;
    }
    if ((v >> 2) == pc) return v & 3;
  }
  return classify_slow(pc);
}

// ---- stack interning (process-wide, insert-only; reset in a fork child).
struct InternEntry {
  std::atomic<uint64_t> hash;
  std::atomic<uint32_t> id;
  uint32_t pad;
};
constexpr size_t kInternEntries = 1 << 20;
std::atomic<InternEntry*> g_intern{nullptr};
std::atomic<uint32_t> g_next_stack_id{1};

InternEntry* intern_table() {
  InternEntry* t = g_intern.load(std::memory_order_acquire);
  if (LS_LIKELY(t != nullptr)) return t;
  auto fresh = static_cast<InternEntry*>(map_pages(sizeof(InternEntry) * kInternEntries));
  InternEntry* expected = nullptr;
  if (fresh && !g_intern.compare_exchange_strong(expected, fresh)) {
    unmap_pages(fresh, sizeof(InternEntry) * kInternEntries);
    return expected;
  }
  return fresh;
}

uint64_t hash_pcs(const uint64_t* pcs, int n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(n);
  for (int i = 0; i < n; ++i) h = mix(h ^ pcs[i]) + 0x632BE59BD9B4E019ULL;
  return h | 1;  // 0 marks an empty entry
}

bool send_stack_def(uint32_t id, const uint64_t* pcs, int n) {
  format::StackDef d = {};
  d.header.type = static_cast<uint16_t>(format::MsgType::kStack);
  d.header.bytes = static_cast<uint32_t>(sizeof(d) + static_cast<size_t>(n) * 8);
  d.id = id;
  d.depth = static_cast<uint32_t>(n);
  return send_message(&d, sizeof(d), pcs, static_cast<size_t>(n) * 8, 0);
}

uint32_t intern(const uint64_t* pcs, int n) {
  InternEntry* t = intern_table();
  if (t == nullptr) return 0;
  uint64_t h = hash_pcs(pcs, n);
  size_t i = h & (kInternEntries - 1);
  for (int probe = 0; probe < 64; ++probe, i = (i + 1) & (kInternEntries - 1)) {
    InternEntry& e = t[i];
    uint64_t v = e.hash.load(std::memory_order_acquire);
    if (v == 0) {
      if (!e.hash.compare_exchange_strong(v, h, std::memory_order_acq_rel)) {
        if (v != h) continue;  // another stack took it: probe on
      } else {
        uint32_t id = g_next_stack_id.fetch_add(1, std::memory_order_relaxed);
        // A new stack may be the first from a library dlopen'd since the last module list.
        send_modules_if_changed();
        send_stack_def(id, pcs, n);
        e.id.store(id, std::memory_order_release);
        return id;
      }
    }
    if (v == h) {
      // Published right after its definition is sent; wait briefly for that.
      for (int spins = 0; spins < (1 << 20); ++spins) {
        uint32_t id = e.id.load(std::memory_order_acquire);
        if (id != 0) return id;
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      return 0;
    }
  }
  return 0;  // table region full: the allocation is recorded without a stack
}

struct Walk {
  uint64_t pcs[kMaxDepth];
  uint32_t off[kMaxDepth];
  int n = 0;
  bool cacheable = true;
  bool used_dwarf = false;
  bool truncated = false;
};

// Records pcs[n] found in the slot at `slot` (an address on the stack).
inline bool push_frame(Walk* w, uintptr_t sp0, const Slot* s, uint64_t pc, uintptr_t slot) {
  w->pcs[w->n] = pc;
  if (slot < sp0 || slot + 8 > s->stack_high || slot - sp0 > 0xffffffffULL) {
    w->cacheable = false;
    w->off[w->n] = 0;
  } else {
    w->off[w->n] = static_cast<uint32_t>(slot - sp0);
  }
  return ++w->n < kMaxDepth;
}

struct DwarfWalk {
  Walk* w;
  const Slot* s;
  uintptr_t pc0, sp0;
  uintptr_t prev_cfa = 0;
  bool started = false;
};

_Unwind_Reason_Code dwarf_frame(struct _Unwind_Context* ctx, void* arg) {
  auto* d = static_cast<DwarfWalk*>(arg);
  int before_insn = 0;
  uintptr_t ip = g_gcc.get_ip_info(ctx, &before_insn);
  uintptr_t cfa = g_gcc.get_cfa(ctx);
  if (!d->started) {
    // Our own frames come first; frame 0 is the hook's caller (pcs[0] already).
    if (ip == d->pc0 && cfa > d->sp0) {
      d->started = true;
      d->prev_cfa = cfa;
    }
    return _URC_NO_REASON;
  }
  if (ip == 0) return _URC_END_OF_STACK;
  // A signal frame's pc comes from the saved context, not from a return-address slot.
  if (before_insn) d->w->cacheable = false;
  if (!push_frame(d->w, d->sp0, d->s, ip, d->prev_cfa - 8)) {
    d->w->truncated = true;
    return _URC_END_OF_STACK;
  }
  d->prev_cfa = cfa;
  return _URC_NO_REASON;
}

// The whole stack by DWARF CFI, from the hook's caller on.
void walk_with_dwarf(Walk* w, const Slot* s, uintptr_t pc0, uintptr_t sp0) {
  w->n = 1;
  w->cacheable = s->stack_high != 0;
  w->truncated = false;
  w->used_dwarf = true;
  DwarfWalk d{w, s, pc0, sp0};
  g_gcc.backtrace(dwarf_frame, &d);
  if (!d.started) w->truncated = true;
}

void walk_stack(Walk* w, const Slot* s, uintptr_t pc0, void* frame) {
  auto hook_fp = static_cast<uintptr_t*>(frame);
  uintptr_t sp0 = reinterpret_cast<uintptr_t>(hook_fp + 2);  // the caller's sp after return
  w->pcs[0] = pc0;
  w->off[0] = 0;
  w->n = 1;
  bool stack_known = s->stack_high != 0 && sp0 >= s->stack_low && sp0 < s->stack_high;
  if (!stack_known) w->cacheable = false;
  uintptr_t pc = pc0, sp = sp0, fp = hook_fp[0];
  while (w->n < kMaxDepth) {
    uint64_t kind = stack_known ? frame_kind(pc) : kNoFramePointer;
    if (kind == kNoFramePointer) {
      if (g_unwinder_ready.load(std::memory_order_acquire)) walk_with_dwarf(w, s, pc0, sp0);
      else w->truncated = true;
      return;
    }
    if (kind == kUnknown) {  // before our constructor loaded the DWARF unwinder
      w->truncated = true;
      w->cacheable = false;
      return;
    }
    // The function at pc keeps its frame in rbp: [fp] = caller's rbp, [fp+8] = return address.
    if (fp < sp || fp + 16 > s->stack_high || (fp & 7) != 0) return;  // end of the chain
    auto f = reinterpret_cast<const uintptr_t*>(fp);
    uintptr_t next_pc = f[1];
    if (next_pc < 4096) return;
    if (!push_frame(w, sp0, s, next_pc, fp + 8)) {
      w->truncated = true;
      return;
    }
    pc = next_pc;
    sp = fp + 16;
    fp = f[0];
  }
  w->truncated = true;
}

}  // namespace

uint32_t capture_stack(Slot* s, uintptr_t pc0, void* frame) {
  uintptr_t sp0 = reinterpret_cast<uintptr_t>(frame) + 16;
  UnwindCache* c = s->cache;
  if (LS_UNLIKELY(c == nullptr) && s->stack_high != 0) {
    c = s->cache = static_cast<UnwindCache*>(map_pages(sizeof(UnwindCache)));
  }
  UnwindCache::Entry* e = nullptr;
  if (LS_LIKELY(c != nullptr)) {
    e = &c->e[mix(pc0 ^ (sp0 << 20)) & (UnwindCache::kEntries - 1)];
    if (e->pc0 == pc0 && e->sp == sp0 && e->stack_id != 0 && sp0 >= s->stack_low &&
        sp0 + e->max_off + 8 <= s->stack_high) {
      uint32_t k = 1;
      for (; k < e->depth; ++k)
        if (*reinterpret_cast<const uint64_t*>(sp0 + e->off[k]) != e->pcs[k]) break;
      if (k == e->depth) {
        ++s->cached_stacks;
        return e->stack_id;
      }
    }
  }
  Walk w;
  walk_stack(&w, s, pc0, frame);
  uint32_t id = intern(w.pcs, w.n);
  if (w.used_dwarf) ++s->unwind_stacks;
  else ++s->fp_stacks;
  if (w.truncated) ++s->truncated_stacks;
  if (e != nullptr && w.cacheable && !w.truncated && id != 0) {
    uint32_t max_off = 0;
    for (int k = 1; k < w.n; ++k) max_off = w.off[k] > max_off ? w.off[k] : max_off;
    e->pc0 = pc0;
    e->sp = sp0;
    e->stack_id = id;
    e->depth = static_cast<uint32_t>(w.n);
    e->max_off = max_off;
    for (int k = 0; k < w.n; ++k) {
      e->off[k] = w.off[k];
      e->pcs[k] = w.pcs[k];
    }
  }
  return id;
}

void unwind_load_unwinder() {
  if (g_kinds == nullptr)
    g_kinds = static_cast<std::atomic<uint64_t>*>(map_pages(sizeof(uint64_t) * kKindEntries));
  void* h = ::dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
  GccUnwinder u = {};
  if (h != nullptr) {
    u.backtrace = reinterpret_cast<decltype(u.backtrace)>(::dlsym(h, "_Unwind_Backtrace"));
    u.get_ip_info = reinterpret_cast<decltype(u.get_ip_info)>(::dlsym(h, "_Unwind_GetIPInfo"));
    u.get_cfa = reinterpret_cast<decltype(u.get_cfa)>(::dlsym(h, "_Unwind_GetCFA"));
    u.find_enclosing_function = reinterpret_cast<decltype(u.find_enclosing_function)>(
        ::dlsym(h, "_Unwind_FindEnclosingFunction"));
  }
  if (!u.backtrace || !u.get_ip_info || !u.get_cfa || !u.find_enclosing_function) {
    send_status(format::HeapStatus::kTracking,
                "libgcc_s.so.1 (the DWARF unwinder) not found: stacks stop at the first frame "
                "without a frame pointer");
    return;
  }
  g_gcc = u;
  g_unwinder_ready.store(true, std::memory_order_release);
}

void unwind_after_fork_child() {
  // An id claimed by a thread that does not exist in the child would never be published:
  // start the child with an empty table (its ids continue the parent's numbering, so ids
  // the parent defined stay valid for the blocks the child inherited).
  InternEntry* old = g_intern.exchange(nullptr);
  if (old) unmap_pages(old, sizeof(InternEntry) * kInternEntries);
}

}  // namespace leakscope::preload
