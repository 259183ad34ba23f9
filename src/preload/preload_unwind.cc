// Call stacks of allocations, as cheap as correctness allows:
//   1. a per-thread cache keyed by (return address, stack pointer) of the hook: a hit is
//      re-validated by reading each cached return-address slot on the live stack (same
//      slots holding the same values means the same chain of live frames), so most
//      allocations cost a few loads and reuse the interned id;
//   2. on a miss, cached CFI unwinding (preload_cfi.cc): per return address, the rule from
//      .eh_frame that takes its frame to the caller, computed once and kept process-wide, so
//      a frame costs a table lookup and two loads whether or not the code keeps frame
//      pointers; and the walk stops as soon as it reaches a frame of the thread's previous
//      walk (same pc, stack pointer and rbp: the same live invocation) whose outer
//      return-address slots still hold the same values — deep stacks mostly change at the
//      top, so only the new frames are unwound;
//   3. when a frame's rule cannot be expressed that way (signal frames, CFA expressions),
//      the whole stack is unwound by libgcc's DWARF unwinder (_Unwind_Backtrace, dlopen'd
//      RTLD_LOCAL). libunwind is not used: it has thread-local storage, and loading any
//      library with a TLS segment makes glibc allocate a larger DTV for every later
//      thread, which the program would then be seen to allocate (libgcc_s has none).
// The pcs are interned process-wide (hash -> id); a new stack's definition is sent before
// its id is published, so the collector always knows an id before its use.
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
  // Recently interned stacks of this thread (hash -> id): most walks end in a stack seen
  // before, and this stays in the core's cache where the process-wide table does not.
  static constexpr int kInterned = 1024;
  struct Interned {
    uint64_t hash;
    uint32_t id;
  } interned[kInterned];
  // The thread's last CFI walk, for reusing its outer frames.
  struct LastWalk {
    int n = 0;
    bool truncated = false;  // it stopped at the depth limit, not at the stack's end
    uint64_t pcs[format::kMaxStackDepth];
    uintptr_t sp[format::kMaxStackDepth];    // stack pointer in frame k at its call
    uintptr_t fp[format::kMaxStackDepth];    // rbp in frame k at its call
    uintptr_t slot[format::kMaxStackDepth];  // where pcs[k] is stored (k >= 1)
  } last;
};

namespace {

constexpr int kMaxDepth = format::kMaxStackDepth;

// libgcc's unwinder, resolved in the constructor (dlopen, so C programs need not link it).
struct GccUnwinder {
  _Unwind_Reason_Code (*backtrace)(_Unwind_Trace_Fn, void*);
  _Unwind_Ptr (*get_ip_info)(struct _Unwind_Context*, int*);
  _Unwind_Word (*get_cfa)(struct _Unwind_Context*);
};
GccUnwinder g_gcc;
std::atomic<bool> g_unwinder_ready{false};

// ---- return address -> CfiRule (process-wide, insert-only).
constexpr size_t kRuleEntries = 1 << 15;
constexpr uint64_t kPendingKey = uint64_t{1} << 63;
struct RuleEntry {
  std::atomic<uint64_t> key;    // return address, | kPendingKey while being written
  std::atomic<uint64_t> value;  // packed CfiRule
};
RuleEntry* g_rules = nullptr;

inline uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

uint64_t pack(const CfiRule& r) {
  return uint64_t{r.status} | (uint64_t{r.cfa_from_rbp} << 2) |
         (uint64_t{static_cast<uint32_t>(r.cfa_offset)} << 3) |
         (uint64_t{static_cast<uint32_t>(r.rbp_offset)} << 32);
}

CfiRule unpack(uint64_t v) {
  CfiRule r;
  r.status = static_cast<CfiRule::Status>(v & 3);
  r.cfa_from_rbp = (v >> 2) & 1;
  r.cfa_offset = static_cast<int32_t>((v >> 3) & 0x1fffffff);
  r.rbp_offset = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
  return r;
}

CfiRule rule_for(uintptr_t pc) {
  RuleEntry* table = __atomic_load_n(&g_rules, __ATOMIC_ACQUIRE);
  if (LS_UNLIKELY(table == nullptr)) {
    auto* fresh = static_cast<RuleEntry*>(map_pages(sizeof(RuleEntry) * kRuleEntries));
    RuleEntry* expected = nullptr;
    if (fresh && !__atomic_compare_exchange_n(&g_rules, &expected, fresh, false, __ATOMIC_ACQ_REL,
                                              __ATOMIC_ACQUIRE))
      unmap_pages(fresh, sizeof(RuleEntry) * kRuleEntries);
    table = __atomic_load_n(&g_rules, __ATOMIC_ACQUIRE);
    if (table == nullptr) return compute_cfi_rule(pc);
  }
  size_t i = mix(pc) & (kRuleEntries - 1);
  for (int probe = 0; probe < 16; ++probe, i = (i + 1) & (kRuleEntries - 1)) {
    uint64_t k = table[i].key.load(std::memory_order_acquire);
    if (k == pc) return unpack(table[i].value.load(std::memory_order_relaxed));
    if (k == 0) {
      CfiRule r = compute_cfi_rule(pc);
      if (r.status == CfiRule::kUnknown) return r;
      uint64_t expected = 0;
      if (table[i].key.compare_exchange_strong(expected, pc | kPendingKey)) {
        table[i].value.store(pack(r), std::memory_order_relaxed);
        table[i].key.store(pc, std::memory_order_release);
      }
      return r;
    }
  }
  return compute_cfi_rule(pc);  // crowded neighbourhood: not cached
}

// ---- stack interning (process-wide, insert-only; reset in a fork child).
struct InternEntry {
  std::atomic<uint64_t> hash;
  std::atomic<uint32_t> id;
  uint32_t pad;
};
constexpr size_t kInternEntries = 1 << 19;
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

// New stacks wait in one process-wide batch (kStacks) that leaves before any event buffer
// does (send_pending_stack_defs in flush_locked): a thread that uses an id read it after
// its definition was queued, so the definition is ahead of that thread's events.
SpinLock g_defs_lock;
std::atomic<pthread_t> g_defs_owner{0};  // a signal handler that exits or forks on the
                                          // holder's own thread must not wait for itself
bool g_defs_held_for_fork = false;
alignas(8) uint8_t g_defs[format::kMaxMessageBytes];
size_t g_defs_used = sizeof(format::MsgHeader);  // guarded by g_defs_lock
std::atomic<bool> g_defs_pending{false};

// False when this thread already holds it (further up its stack): leave it then.
bool defs_lock() {
  pthread_t self = ::pthread_self();
  if (g_defs_owner.load(std::memory_order_relaxed) == self) return false;
  g_defs_lock.lock();
  g_defs_owner.store(self, std::memory_order_relaxed);
  return true;
}

void defs_unlock() {
  g_defs_owner.store(0, std::memory_order_relaxed);
  g_defs_lock.unlock();
}

void send_defs_locked() {
  if (g_defs_used <= sizeof(format::MsgHeader)) return;
  format::MsgHeader h = {};
  h.type = static_cast<uint16_t>(format::MsgType::kStacks);
  h.bytes = static_cast<uint32_t>(g_defs_used);
  __builtin_memcpy(g_defs, &h, sizeof(h));
  send_message(g_defs, g_defs_used, nullptr, 0, 0);
  g_defs_used = sizeof(format::MsgHeader);
  g_defs_pending.store(false, std::memory_order_release);
}

void queue_stack_def(uint32_t id, const uint64_t* pcs, int n) {
  format::StackEntry e = {id, static_cast<uint32_t>(n)};
  size_t need = sizeof(e) + static_cast<size_t>(n) * 8;
  if (!defs_lock()) return;  // cannot happen: our own code does not allocate
  if (g_defs_used + need > sizeof(g_defs)) send_defs_locked();
  __builtin_memcpy(g_defs + g_defs_used, &e, sizeof(e));
  __builtin_memcpy(g_defs + g_defs_used + sizeof(e), pcs, static_cast<size_t>(n) * 8);
  g_defs_used += need;
  g_defs_pending.store(true, std::memory_order_release);
  defs_unlock();
}

uint32_t intern(uint64_t h, const uint64_t* pcs, int n) {
  InternEntry* t = intern_table();
  if (t == nullptr) return 0;
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
        queue_stack_def(id, pcs, n);
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
  uintptr_t sp[kMaxDepth];    // CFI walks: per frame, for the next walk to reuse
  uintptr_t fp[kMaxDepth];
  int n = 0;
  bool reused_tail = false;
  bool cacheable = true;
  bool used_dwarf = false;
  bool truncated = false;   // cut at the depth limit (deterministic: cacheable)
  bool incomplete = false;  // a frame could not be unwound at all
};

// Records pcs[n] found in the slot at `slot` (an address on the stack).
inline bool push_frame(Walk* w, uintptr_t sp0, const Slot* s, uint64_t pc, uintptr_t slot) {
  if (w->n >= g.stack_depth) return false;
  w->pcs[w->n] = pc;
  if (slot < sp0 || slot + 8 > s->stack_high || slot - sp0 > 0xffffffffULL) {
    w->cacheable = false;
    w->off[w->n] = 0;
  } else {
    w->off[w->n] = static_cast<uint32_t>(slot - sp0);
  }
  return ++w->n < g.stack_depth;
}

struct DwarfWalk {
  Walk* w;
  const Slot* s;
  uintptr_t pc0, sp0;
  bool started = false;
};

// libgcc's _Unwind_GetCFA(frame) is the frame's stack pointer at its call (the CFA of the
// frame it called), so the return address into a frame sits just below it.
_Unwind_Reason_Code dwarf_frame(struct _Unwind_Context* ctx, void* arg) {
  auto* d = static_cast<DwarfWalk*>(arg);
  int before_insn = 0;
  uintptr_t ip = g_gcc.get_ip_info(ctx, &before_insn);
  uintptr_t sp = g_gcc.get_cfa(ctx);
  if (!d->started) {
    // Our own frames come first; frame 0 is the hook's caller (pcs[0] already).
    if (ip == d->pc0 && sp == d->sp0) d->started = true;
    return _URC_NO_REASON;
  }
  if (ip == 0) return _URC_END_OF_STACK;
  // A signal frame's pc comes from the saved context, not from a return-address slot.
  if (before_insn) d->w->cacheable = false;
  if (!push_frame(d->w, d->sp0, d->s, ip, sp - 8)) {
    d->w->truncated = true;
    return _URC_END_OF_STACK;
  }
  return _URC_NO_REASON;
}

// The whole stack by DWARF CFI, from the hook's caller on.
void walk_with_dwarf(Walk* w, const Slot* s, uintptr_t pc0, uintptr_t sp0) {
  w->n = 1;
  w->cacheable = s->stack_high != 0;
  w->truncated = false;
  w->incomplete = false;
  w->used_dwarf = true;
  DwarfWalk d{w, s, pc0, sp0};
  g_gcc.backtrace(dwarf_frame, &d);
  if (!d.started) w->incomplete = true;
}

// The previous walk's frames after k, if frame k is the current frame (pc, sp, fp) and
// every outer return-address slot still holds what it held then.
bool reuse_tail(Walk* w, const Slot* s, uintptr_t sp0, const UnwindCache::LastWalk& last, int k) {
  for (int m = k + 1; m < last.n; ++m) {
    uintptr_t slot = last.slot[m];
    if (slot < sp0 || slot + 8 > s->stack_high || *reinterpret_cast<const uint64_t*>(slot) != last.pcs[m])
      return false;
  }
  for (int m = k + 1; m < last.n; ++m) {
    w->sp[w->n] = last.sp[m];
    w->fp[w->n] = last.fp[m];
    if (!push_frame(w, sp0, s, last.pcs[m], last.slot[m])) {
      w->truncated = true;
      break;
    }
  }
  w->reused_tail = true;
  return true;
}

void walk_stack(Walk* w, const Slot* s, uintptr_t pc0, void* frame,
                const UnwindCache::LastWalk* last) {
  auto hook_fp = static_cast<uintptr_t*>(frame);
  uintptr_t sp0 = reinterpret_cast<uintptr_t>(hook_fp + 2);  // the caller's sp after return
  w->pcs[0] = pc0;
  w->off[0] = 0;
  w->n = 1;
  bool stack_known = s->stack_high != 0 && sp0 >= s->stack_low && sp0 < s->stack_high;
  if (!stack_known) {
    // A stack we have no bounds for (sigaltstack, a coroutine): only libgcc may walk it.
    if (g_unwinder_ready.load(std::memory_order_acquire)) walk_with_dwarf(w, s, pc0, sp0);
    else w->incomplete = true;
    w->cacheable = false;
    return;
  }
  uintptr_t pc = pc0, sp = sp0, fp = hook_fp[0];
  int k = 0;  // position in the last walk (both walks go up the stack)
  w->sp[0] = sp;
  w->fp[0] = fp;
  while (w->n < g.stack_depth) {
    if (last != nullptr) {
      while (k < last->n && last->sp[k] < sp) ++k;
      if (k < last->n && last->sp[k] == sp && last->pcs[k] == pc && last->fp[k] == fp &&
          reuse_tail(w, s, sp0, *last, k)) {
        // The last walk ended at the depth limit; this one has room for more frames.
        if (!last->truncated || w->truncated || w->n >= g.stack_depth) return;
        pc = w->pcs[w->n - 1];
        sp = w->sp[w->n - 1];
        fp = w->fp[w->n - 1];
        last = nullptr;
      }
    }
    CfiRule r = rule_for(pc);
    if (r.status == CfiRule::kOutermost) return;  // the stack's first frame: complete
    if (r.status != CfiRule::kOk) {
      if (g_unwinder_ready.load(std::memory_order_acquire)) walk_with_dwarf(w, s, pc0, sp0);
      else w->incomplete = true;
      return;
    }
    uintptr_t cfa = (r.cfa_from_rbp ? fp : sp) + static_cast<uintptr_t>(static_cast<int64_t>(r.cfa_offset));
    // Every read stays on this thread's stack, above the frames already walked.
    if (cfa <= sp || cfa - 8 < s->stack_low || cfa > s->stack_high || (cfa & 7) != 0) return;
    uintptr_t ra = reinterpret_cast<const uintptr_t*>(cfa)[-1];
    if (r.rbp_offset != 0) {
      uintptr_t at = cfa + static_cast<uintptr_t>(static_cast<int64_t>(r.rbp_offset));
      if (at < sp || at + 8 > s->stack_high) return;
      fp = *reinterpret_cast<const uintptr_t*>(at);
    }
    if (ra < 4096) return;
    w->sp[w->n] = cfa;  // the caller's frame, for a later walk to continue from
    w->fp[w->n] = fp;
    if (!push_frame(w, sp0, s, ra, cfa - 8)) {
      w->truncated = true;
      return;
    }
    pc = ra;
    sp = cfa;
  }
  w->truncated = true;
}

void remember_walk(UnwindCache::LastWalk* last, const Walk& w, uintptr_t sp0) {
  if (w.used_dwarf || !w.cacheable) {
    last->n = 0;
    return;
  }
  last->n = w.n;
  last->truncated = w.truncated;
  for (int k = 0; k < w.n; ++k) {
    last->pcs[k] = w.pcs[k];
    last->sp[k] = w.sp[k];
    last->fp[k] = w.fp[k];
    last->slot[k] = sp0 + w.off[k];
  }
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
  walk_stack(&w, s, pc0, frame, c != nullptr && c->last.n > 0 ? &c->last : nullptr);
  if (c != nullptr) remember_walk(&c->last, w, sp0);
  uint64_t h = hash_pcs(w.pcs, w.n);
  uint32_t id;
  UnwindCache::Interned* known = c != nullptr ? &c->interned[h & (UnwindCache::kInterned - 1)] : nullptr;
  if (known != nullptr && known->hash == h) {
    id = known->id;
  } else {
    id = intern(h, w.pcs, w.n);
    if (known != nullptr && id != 0) *known = {h, id};
  }
  if (w.used_dwarf) ++s->dwarf_stacks;
  else ++s->cfi_stacks;
  if (w.truncated || w.incomplete) ++s->truncated_stacks;
  if (w.reused_tail) ++s->tail_reuses;
  if (e != nullptr && w.cacheable && !w.incomplete && id != 0) {
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
  void* h = ::dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
  GccUnwinder u = {};
  if (h != nullptr) {
    u.backtrace = reinterpret_cast<decltype(u.backtrace)>(::dlsym(h, "_Unwind_Backtrace"));
    u.get_ip_info = reinterpret_cast<decltype(u.get_ip_info)>(::dlsym(h, "_Unwind_GetIPInfo"));
    u.get_cfa = reinterpret_cast<decltype(u.get_cfa)>(::dlsym(h, "_Unwind_GetCFA"));
  }
  if (!u.backtrace || !u.get_ip_info || !u.get_cfa) {
    send_status(format::HeapStatus::kTracking,
                "libgcc_s.so.1 (the DWARF unwinder) not found: stacks stop at the first frame "
                "without a frame pointer");
    return;
  }
  g_gcc = u;
  g_unwinder_ready.store(true, std::memory_order_release);
}

void send_pending_stack_defs() {
  if (!g_defs_pending.load(std::memory_order_acquire) || !defs_lock()) return;
  send_defs_locked();
  defs_unlock();
}

void hold_stack_defs_for_fork() {
  g_defs_held_for_fork = defs_lock();
  if (g_defs_held_for_fork) send_defs_locked();
}

void release_stack_defs_after_fork() {
  // In the child the holder is the forking thread under its new identity: same pthread_t.
  if (g_defs_held_for_fork) defs_unlock();
  g_defs_held_for_fork = false;
}

void unwind_after_fork_child() {
  // An id claimed by a thread that does not exist in the child would never be published:
  // start the child with an empty table (its ids continue the parent's numbering, so ids
  // the parent defined stay valid for the blocks the child inherited).
  InternEntry* old = g_intern.exchange(nullptr);
  if (old) unmap_pages(old, sizeof(InternEntry) * kInternEntries);
}

}  // namespace leakscope::preload
