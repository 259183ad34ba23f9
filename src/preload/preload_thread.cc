// Per-thread state without thread-local storage (see preload.h for why): the thread's slot
// is the value of one pthread key (glibc keeps the first 32 keys' values inline in the
// thread descriptor, so reading it allocates nothing), and a thread that has no slot yet
// but runs our own code — claiming its slot, init, fork handlers — is listed by tid in a
// small table that the hooks check before claiming.
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/preload.h"

namespace leakscope::preload {

pthread_key_t g_thread_key;
ThreadCacheEntry g_thread_cache[kThreadCacheEntries];

namespace {

constexpr int kInsideEntries = 64;
struct InsideEntry {
  std::atomic<int> tid{0};
  int depth = 0;
};
InsideEntry g_inside[kInsideEntries];
std::atomic<bool> g_key_ok{false};

int current_tid() { return static_cast<int>(::syscall(SYS_gettid)); }

int find_inside(int tid) {
  for (int i = 0; i < kInsideEntries; ++i)
    if (g_inside[i].tid.load(std::memory_order_acquire) == tid) return i;
  return -1;
}

int mark_inside(int tid) {
  int i = find_inside(tid);
  if (i >= 0) {
    ++g_inside[i].depth;
    return i;
  }
  for (int spins = 0;; ++spins) {
    for (i = 0; i < kInsideEntries; ++i) {
      int expected = 0;
      if (g_inside[i].tid.compare_exchange_strong(expected, tid)) {
        g_inside[i].depth = 1;
        return i;
      }
    }
    ::sched_yield();  // 64 threads claiming at this very moment: wait for one
  }
}

void unmark_inside(int entry) {
  if (entry < 0) return;
  if (--g_inside[entry].depth == 0) g_inside[entry].tid.store(0, std::memory_order_release);
}

void key_destructor(void* value) {
  thread_cache_clear();
  if (reinterpret_cast<uintptr_t>(value) > kThreadExited) release_slot(static_cast<Slot*>(value));
  // Later events of this exiting thread (other keys' destructors) use the shared slot.
  // glibc calls us again while the value is set, four rounds at most, then clears it.
  ::pthread_setspecific(g_thread_key, reinterpret_cast<void*>(kThreadExited));
}

}  // namespace

void threads_init() {
  if (g_key_ok.load()) return;
  if (::pthread_key_create(&g_thread_key, key_destructor) == 0) g_key_ok.store(true);
}

Slot* hook_slot_slow(void* value, bool may_allocate) {
  if (!g_key_ok.load(std::memory_order_relaxed)) return nullptr;
  if (reinterpret_cast<uintptr_t>(value) == kThreadExited) {
    note_recording_thread(nullptr);  // its last events go to the shared slot
    return shared_slot();
  }
  int tid = current_tid();
  if (find_inside(tid) >= 0) return nullptr;  // our own code, before the thread has a slot
  int entry = mark_inside(tid);
  Slot* s = claim_slot(tid, may_allocate);  // returned with its guard raised
  if (s != nullptr && s != shared_slot()) {
    ::pthread_setspecific(g_thread_key, s);
    thread_cache_fill(s);
    s->guard = 0;
  }
  unmark_inside(entry);
  return s;
}

Slot* own_slot() {
  if (!g_key_ok.load(std::memory_order_relaxed)) return nullptr;
  void* v = ::pthread_getspecific(g_thread_key);
  return reinterpret_cast<uintptr_t>(v) > kThreadExited ? static_cast<Slot*>(v) : nullptr;
}

GuardToken guard_enter() {
  GuardToken t;
  t.slot = own_slot();
  if (t.slot != nullptr) ++t.slot->guard;
  else t.entry = mark_inside(current_tid());
  return t;
}

void guard_leave(GuardToken t) {
  if (t.slot != nullptr) --t.slot->guard;
  else unmark_inside(t.entry);
}

void thread_cache_fill(Slot* s) {
  uintptr_t tp = thread_pointer();
  ThreadCacheEntry& e = thread_cache_entry(tp);
  uintptr_t expected = 0;
  if (e.tp.load(std::memory_order_relaxed) != 0 || !e.tp.compare_exchange_strong(expected, tp))
    return;  // another thread's: this one keeps asking the key
  e.slot.store(s, std::memory_order_relaxed);
}

void thread_cache_clear() {
  uintptr_t tp = thread_pointer();
  ThreadCacheEntry& e = thread_cache_entry(tp);
  if (e.tp.load(std::memory_order_relaxed) != tp) return;
  e.slot.store(nullptr, std::memory_order_relaxed);
  e.tp.store(0, std::memory_order_release);
}

void thread_cache_clear_slot(const Slot* s) {
  for (auto& e : g_thread_cache) {
    if (e.slot.load(std::memory_order_relaxed) != s) continue;
    e.slot.store(nullptr, std::memory_order_relaxed);
    e.tp.store(0, std::memory_order_release);
  }
}

void thread_cache_keep_only_caller() {
  uintptr_t tp = thread_pointer();
  for (auto& e : g_thread_cache) {
    if (e.tp.load(std::memory_order_relaxed) == tp) continue;
    e.slot.store(nullptr, std::memory_order_relaxed);
    e.tp.store(0, std::memory_order_relaxed);
  }
}

void threads_after_fork_child(GuardToken* token) {
  // Threads created in the child may reuse the stacks, so the thread pointers, of the
  // parent's other threads.
  thread_cache_keep_only_caller();
  // Only the forking thread exists now, under a new tid: the other entries are stale.
  for (int i = 0; i < kInsideEntries; ++i) {
    if (i == token->entry) continue;
    g_inside[i].tid.store(0);
    g_inside[i].depth = 0;
  }
  if (token->entry >= 0) g_inside[token->entry].tid.store(current_tid());
}

}  // namespace leakscope::preload
