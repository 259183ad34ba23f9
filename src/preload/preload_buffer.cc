// Per-thread event buffers. Each thread claims a slot on its first event and appends fixed
// records to it without any global lock and without atomic read-modify-write (see the
// stealing protocol in preload.h); a full buffer goes out as one message. A background
// flusher thread (all signals blocked) takes idle threads' buffers every 100 ms so data
// reaches the collector in bounded time; exit, _exit, abort, exec and thread exit flush as
// well. Slots are reused by later threads, so thread churn does not grow memory.
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <new>

#include "preload/preload.h"

namespace leakscope::preload {
namespace {

constexpr int kMaxSlots = 1024;          // + one shared slot for threads without their own
constexpr uint64_t kFlushPeriodNs = 100 * 1000 * 1000;

Slot* g_slots = nullptr;  // kMaxSlots + 1, mapped on first use
SpinLock g_slots_lock;    // claims, fork
std::atomic<int> g_slots_high{0};  // slots [0, high) have been claimed at least once
bool g_membarrier = false;  // registered: owners use the cheap protocol
std::atomic<bool> g_flusher_running{false};
uint64_t g_child_since_ts = 0;  // fork child: flusher starts on the first event after a while


void pause_a_little(int spins) {
  if (spins < 128) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  } else {
    ::sched_yield();
  }
}

bool ensure_slots() {
  if (__atomic_load_n(&g_slots, __ATOMIC_ACQUIRE)) return true;
  g_slots_lock.lock();
  if (!g_slots) {
    void* mem = map_pages(sizeof(Slot) * (kMaxSlots + 1));
    if (mem) {
      Slot* slots = static_cast<Slot*>(mem);
      for (int i = 0; i <= kMaxSlots; ++i) {
        new (&slots[i]) Slot();
        slots[i].exclusive = !g_membarrier;
      }
      slots[kMaxSlots].owner.store(-1);
      slots[kMaxSlots].exclusive = true;  // several threads append to it
      __atomic_store_n(&g_slots, slots, __ATOMIC_RELEASE);
    }
  }
  g_slots_lock.unlock();
  return g_slots != nullptr;
}

// ---- the stealer's side (see preload.h)

void steal_begin(Slot* s) {
  if (!s->exclusive) s->stolen.store(1, std::memory_order_relaxed);
}

bool steal_fence() {
  if (!g_membarrier) return true;
  return ::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

bool steal_try(Slot* s) {
  if (s->exclusive) return s->busy.exchange(1, std::memory_order_acquire) == 0;
  return s->busy.load(std::memory_order_acquire) == 0;
}

void steal_wait(Slot* s) {
  for (int spins = 0; !steal_try(s); ++spins) pause_a_little(spins);
}

void steal_end(Slot* s) {
  if (s->exclusive) s->busy.store(0, std::memory_order_release);
  else s->stolen.store(0, std::memory_order_release);
}

// Calls fn(slot) for every slot that may hold data: [0, high) and the shared one.
template <typename F>
void for_each_slot(F fn) {
  int high = g_slots_high.load(std::memory_order_acquire);
  for (int i = 0; i < high; ++i) fn(&g_slots[i]);
  fn(shared_slot());
}

}  // namespace

void read_stack_bounds(Slot* s) {
  pthread_attr_t attr;
  s->stack_pending = false;
  s->stack_low = s->stack_high = 0;
  if (::pthread_getattr_np(::pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    if (::pthread_attr_getstack(&attr, &addr, &size) == 0) {
      s->stack_low = reinterpret_cast<uintptr_t>(addr);
      s->stack_high = s->stack_low + size;
    }
    ::pthread_attr_destroy(&attr);
  }
}

namespace {

// Slots of threads that died without our key destructor (a detached thread's last frees
// come after it) go back to the pool.
void reclaim_dead_owners() {
  pid_t pid = static_cast<pid_t>(::syscall(SYS_getpid));
  int high = g_slots_high.load(std::memory_order_acquire);
  for (int i = 0; i < high; ++i) {
    Slot* s = &g_slots[i];
    int owner = s->owner.load(std::memory_order_acquire);
    if (owner <= 0 || ::syscall(SYS_tgkill, pid, owner, 0) == 0 || errno != ESRCH) continue;
    steal_begin(s);
    if (steal_fence()) {
      steal_wait(s);
      flush_locked(s);
      thread_cache_clear_slot(s);  // its thread pointer may come back with a new thread
      s->owner.store(0, std::memory_order_release);
    }
    steal_end(s);
  }
}

Slot* g_pass_taken[kMaxSlots + 1];   // flush_pass's, under g_slots_lock (not on a thread's stack)
uint64_t g_passes = 0;                // under g_slots_lock

// One pass over the slots: idle threads' buffers go out (a busy owner is not idle: it
// flushes by itself), then a watermark, the module list if it changed and, every tenth
// pass, the statistics. The slots lock keeps passes, claims, fork and exit apart, since two
// stealers of one slot would both send its buffer. Nothing that may take the loader's lock
// (the module list) runs under it: a thread inside dlopen may be waiting to claim a slot.
void flush_pass() {
  g_slots_lock.lock();
  uint64_t pass_ts = now_ts();
  g.clock_epoch.fetch_add(2, std::memory_order_relaxed);  // bounds how stale event_ts gets
  int n = 0;
  for_each_slot([&](Slot* s) {
    if (__atomic_load_n(&s->used, __ATOMIC_RELAXED) == 0) return;
    steal_begin(s);
    g_pass_taken[n++] = s;
  });
  bool fenced = n > 0 && steal_fence();
  for (int i = 0; i < n; ++i) {
    Slot* s = g_pass_taken[i];
    if (fenced && steal_try(s)) {
      flush_locked(s);
      if (s->exclusive) s->busy.store(0, std::memory_order_release);
    }
    if (!s->exclusive) s->stolen.store(0, std::memory_order_release);
  }
  bool housekeeping = ++g_passes % 10 == 0;
  if (housekeeping) reclaim_dead_owners();
  g_slots_lock.unlock();
  format::Watermark w = {};
  w.header.type = static_cast<uint16_t>(format::MsgType::kWatermark);
  w.header.bytes = sizeof(w);
  w.ts = pass_ts;
  send_message(&w, sizeof(w), nullptr, 0, 0);
  send_modules_if_changed();
  if (housekeeping) send_stats();
}

void* flusher_main(void*) {
  guard_enter();  // never records anything of its own (never left)
  ::prctl(PR_SET_NAME, "leakscope-flush", 0, 0, 0);
  for (;;) {
    struct timespec ts = {0, static_cast<long>(kFlushPeriodNs)};
    ::nanosleep(&ts, nullptr);
    if (g.state.load(std::memory_order_relaxed) != static_cast<int>(State::kActive)) continue;
    flush_pass();
  }
  return nullptr;
}

// Takes every slot (flushed) and keeps it until release_all_slots: exit, exec, fork.
void take_all_slots() {
  Slot* own = own_slot();
  for_each_slot(steal_begin);
  if (!steal_fence()) return;
  for_each_slot([own](Slot* s) {
    // Our own slot may be held further up this thread's stack (a signal handler exiting or
    // forking from inside a hook): never wait for it, leave its buffer.
    if (s == own && s->busy.load(std::memory_order_relaxed)) return;
    steal_wait(s);
    flush_locked(s);
  });
}

}  // namespace

void enter_slot_slow(Slot* s) {
  if (s->exclusive) {
    for (int spins = 0; s->busy.exchange(1, std::memory_order_acquire) != 0; ++spins)
      pause_a_little(spins);
    return;
  }
  for (;;) {
    s->busy.store(0, std::memory_order_release);
    for (int spins = 0; s->stolen.load(std::memory_order_acquire) != 0; ++spins) pause_a_little(spins);
    s->busy.store(1, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    if (s->stolen.load(std::memory_order_acquire) == 0) return;
  }
}

Slot* shared_slot() { return ensure_slots() ? &g_slots[kMaxSlots] : nullptr; }

void note_recording_thread(Slot* mine) {
  if (g.clock_epoch.load(std::memory_order_relaxed) & 1) return;
  // A thread that does not own the single mode's count is a second one, even before it
  // records: it would otherwise take the tracked path for every allocation.
  bool others = mine == nullptr ||
                (g_fast.single.load(std::memory_order_relaxed) && !owns_single_count());
  int high = g_slots_high.load(std::memory_order_acquire);
  for (int i = 0; i < high && !others; ++i)
    others = &g_slots[i] != mine && g_slots[i].owner.load(std::memory_order_acquire) > 0;
  if (others) {
    g.clock_epoch.fetch_or(1, std::memory_order_seq_cst);
    fast_sampling_single(false);  // each thread counts its own bytes from now on
  }
}

uint64_t event_ts_slow(Slot* s, uint32_t epoch) {
  uint64_t now = now_ts();
  if (now <= s->coarse_ts) now = s->coarse_ts + 1;  // strictly after this slot's last stamp
  // Reuse the next reads only if the last batch came densely (and never after a pause).
  bool dense = s->coarse_epoch == epoch && now - s->coarse_ts < kDenseTicks;
  s->coarse_left = dense ? kCoarseEvents - 1 : 0;
  s->coarse_epoch = epoch;
  s->coarse_ts = now;
  return now;
}

Slot* claim_slot(int tid, bool may_allocate) {
  if (!ensure_slots()) return nullptr;
  Slot* mine = nullptr;
  g_slots_lock.lock();
  int high = g_slots_high.load(std::memory_order_relaxed);
  for (int i = 0; i < kMaxSlots && !mine; ++i) {
    int expected = 0;
    if (g_slots[i].owner.compare_exchange_strong(expected, tid)) {
      mine = &g_slots[i];
      if (i >= high) g_slots_high.store(i + 1, std::memory_order_release);
    }
  }
  g_slots_lock.unlock();
  if (!mine) {
    note_recording_thread(nullptr);  // threads without a slot of their own share one
    return shared_slot();
  }
  mine->guard = 1;
  mine->coarse_left = 0;  // an earlier owner's clock read is not this thread's
  note_recording_thread(mine);
  // Cached stacks of an earlier owner need no reset: they are validated against this
  // thread's live stack, within its bounds, before any use.
  if (may_allocate) {
    read_stack_bounds(mine);
  } else {
    mine->stack_low = mine->stack_high = 0;
    mine->stack_pending = true;
  }
  return mine;
}

void release_slot(Slot* s) {
  ++s->guard;
  enter_slot(s);
  flush_locked(s);
  leave_slot(s);
  s->guard = 0;
  s->owner.store(0, std::memory_order_release);
}

void buffers_init() {
  g_membarrier = ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void append_slow(Slot* s, const uint64_t* w, int words, uint64_t ts, uint32_t stack) {
  if (LS_UNLIKELY(s->words == nullptr)) {
    s->words = static_cast<uint64_t*>(map_pages(kBufferWords * 8));
    if (s->words == nullptr) {
      g.lost_events.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  int64_t delta = static_cast<int64_t>(ts - s->base_ts);
  if (s->used + static_cast<uint32_t>(words) > kBufferWords ||
      (s->used != 0 && delta != static_cast<int32_t>(delta)))
    flush_locked(s);
  if (s->used == 0) {
    s->base_ts = ts;
    delta = 0;
    if (LS_UNLIKELY(!g_flusher_running.load(std::memory_order_relaxed)) && g_child_since_ts &&
        ts - g_child_since_ts > (g.use_tsc ? 300000000ULL : 100000000ULL))
      start_flusher();
  }
  uint64_t* out = s->words + s->used;
  for (int i = 0; i + 1 < words; ++i) out[i] = w[i];
  out[words - 1] = format::ts_word(stack, static_cast<int32_t>(delta));
  s->used += static_cast<uint32_t>(words);
  s->events += 1;
  if (LS_UNLIKELY(g.final_flush.load(std::memory_order_relaxed))) flush_locked(s);
}

void flush_locked(Slot* s) {
  if (s->used == 0) return;
  send_pending_stack_defs();  // the ids its records use are defined first
  format::MsgHeader h = {};
  h.type = static_cast<uint16_t>(format::MsgType::kEvents);
  h.bytes = static_cast<uint32_t>(sizeof(h) + s->used * 8);
  h.base_ts = s->base_ts;
  send_message(&h, sizeof(h), s->words, s->used * 8, s->events);
  s->used = 0;
  s->events = 0;
}

void sum_slot_stats(uint64_t out[5]) {
  out[0] = out[1] = out[2] = out[3] = out[4] = 0;
  if (!g_slots) return;
  for_each_slot([&](const Slot* s) {
    out[0] += __atomic_load_n(&s->cfi_stacks, __ATOMIC_RELAXED);
    out[1] += __atomic_load_n(&s->dwarf_stacks, __ATOMIC_RELAXED);
    out[2] += __atomic_load_n(&s->cached_stacks, __ATOMIC_RELAXED);
    out[3] += __atomic_load_n(&s->truncated_stacks, __ATOMIC_RELAXED);
    out[4] += __atomic_load_n(&s->tail_reuses, __ATOMIC_RELAXED);
  });
}

void flush_all_slots() {
  if (!g_slots) return;
  g_slots_lock.lock();
  take_all_slots();
  for_each_slot(steal_end);
  g_slots_lock.unlock();
}

void lock_all_slots_for_fork() {
  if (!ensure_slots()) return;
  g_slots_lock.lock();  // no claims during the fork; released after it
  take_all_slots();
  hold_stack_defs_for_fork();
}

void unlock_all_slots_after_fork(bool child) {
  if (!g_slots) return;
  release_stack_defs_after_fork();
  if (child) {
    // Only the forking thread exists in the child; every other slot is free again.
    g_membarrier = g_membarrier &&
        ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    int tid = static_cast<int>(::syscall(SYS_gettid));
    Slot* own = own_slot();
    for_each_slot([&](Slot* s) {
      s->used = 0;
      s->events = 0;
      s->cfi_stacks = s->dwarf_stacks = s->cached_stacks = s->truncated_stacks = 0;
      s->tail_reuses = 0;
      if (s != shared_slot()) {
        s->owner.store(s == own ? tid : 0);
        s->exclusive = !g_membarrier;
      }
      s->busy.store(0);
      s->stolen.store(0);
    });
    g_flusher_running.store(false);
    g.clock_epoch.store(0, std::memory_order_relaxed);  // one thread records again
    fast_sampling_single(true);
    // The child's flusher starts with its first event ~100 ms after the fork (see
    // append_slow): a child that execs or exits at once never gets a second thread, which
    // unshare() and similar calls right after fork require.
    g_child_since_ts = now_ts() | 1;
  } else {
    for_each_slot(steal_end);
  }
  g_slots_lock.unlock();
}

bool start_flusher() {
  bool expected = false;
  if (!g_flusher_running.compare_exchange_strong(expected, true)) return true;
  if (!ensure_slots()) return false;
  GuardScope guard;
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  ::pthread_attr_setstacksize(&attr, 64 * 1024);
  ::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  bool ok = ::pthread_create(&thread, &attr, flusher_main, nullptr) == 0;
  ::pthread_attr_destroy(&attr);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (!ok) g_flusher_running.store(false);
  return ok;
}

}  // namespace leakscope::preload
