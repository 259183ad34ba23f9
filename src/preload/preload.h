// Internal declarations of the preload library (libleakscope_preload.so), which records
// every allocation of the process it is loaded into and streams the records to the
// collector. It runs inside arbitrary programs, so it is dumb and paranoid: no stdio, no
// std containers, no exceptions, no locks on the hot path, raw syscalls for I/O, and any
// failure turns tracking off for this process (said once on stderr) instead of aborting.
#pragma once

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <atomic>

#include "format/heap_wire.h"

#define LS_EXPORT extern "C" __attribute__((visibility("default")))
#define LS_LIKELY(x) __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LS_NOINLINE __attribute__((noinline))

namespace leakscope::preload {

enum class State : int { kUninit = 0, kIniting = 1, kActive = 2, kOff = 3 };

// Process-wide state. Written during init (and after fork in the child), read everywhere.
struct Globals {
  std::atomic<int> state{0};       // State
  std::atomic<int> sock_fd{-1};
  uint64_t sock_dev = 0, sock_ino = 0;  // to notice the program closing/reusing our fd
  pid_t pid = 0;
  pid_t ppid = 0;
  uint64_t start_ticks = 0;
  uint64_t image_nonce = 0;
  uint64_t sample_interval = 0;  // 0: full tracking
  int stack_depth = format::kDefaultStackDepth;
  bool use_tsc = false;
  bool unwinder_loaded = false;
  // Executable text of the object whose malloc we call (jemalloc, tcmalloc, glibc): its own
  // mmap calls are its backing memory, not the program's mappings. 0 = unknown.
  uintptr_t allocator_text_lo = 0;
  size_t allocator_text_size = 0;
  std::atomic<bool> final_flush{false};  // after our destructor: send every event at once
  // Bit 0: more than one thread has recorded events (set once, cleared in a fork child);
  // the rest counts flusher passes. See event_ts.
  std::atomic<uint32_t> clock_epoch{0};
  std::atomic<uint64_t> fork_seq{0};
  std::atomic<uint64_t> lost_events{0};
  std::atomic<uint64_t> sample_set_full{0};
  char socket_path[108] = {};
  char mode_text[64] = {};
  char library_path[512] = {};
  char exe_path[512] = {};
};
extern Globals g;

// ---- preload_util.cc: I/O with raw syscalls, the one-time stderr notice, spinlocks.
void say_once(const char* what);  // "leakscope: heap tracking: <what>" once per process
void say(const char* what);       // every time (rare events)
size_t str_len(const char* s);
bool str_eq(const char* a, const char* b);
bool str_starts(const char* s, const char* prefix);
// Copies at most cap-1 bytes and terminates; returns the length copied.
size_t str_copy(char* dst, size_t cap, const char* src);
bool parse_u64_text(const char* s, uint64_t* out);
uint64_t monotonic_ns();
uint64_t random_u64();
// Anonymous zeroed memory straight from the kernel (never from malloc).
void* map_pages(size_t bytes);
void unmap_pages(void* p, size_t bytes);

class SpinLock {
 public:
  void lock();
  bool try_lock() { return flag_.exchange(1, std::memory_order_acquire) == 0; }
  void unlock() { flag_.store(0, std::memory_order_release); }

 private:
  std::atomic<int> flag_{0};
};

// ---- preload_clock: event timestamps (TSC when the kernel uses it as its clocksource).
inline uint64_t now_ts() {
#if defined(__x86_64__)
  if (LS_LIKELY(g.use_tsc)) {
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t{hi} << 32) | lo;
  }
#endif
  return monotonic_ns();
}

// ---- preload_real.cc: the functions we wrap.
struct RealFunctions {
  void* (*malloc)(size_t);
  void (*free)(void*);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  void* (*memalign)(size_t, size_t);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  void* (*valloc)(size_t);
  void* (*pvalloc)(size_t);
  void* (*mmap)(void*, size_t, int, int, int, off_t);
  int (*munmap)(void*, size_t);
  void* (*mremap)(void*, size_t, size_t, int, ...);
  void* (*dlopen)(const char*, int);
  int (*execve)(const char*, char* const[], char* const[]);
  int (*execvpe)(const char*, char* const[], char* const[]);
  int (*fexecve)(int, char* const[], char* const[]);
  void (*exit_)(int);
  void (*abort)();
  void (*assert_fail)(const char*, const char*, unsigned, const char*);
};
extern RealFunctions real;
// Resolves what `real` needs; the malloc family first, without dlsym where glibc exports
// __libc_* entry points. Safe to call more than once.
void resolve_real_functions();
// The bootstrap pool serves the allocations dlsym makes while resolve_real_functions runs.
void* bootstrap_alloc(size_t n, size_t align);
inline constexpr size_t kBootstrapBytes = 256 * 1024;
// Hidden, so that every free computes the pool's address instead of loading it.
extern __attribute__((visibility("hidden"))) char g_bootstrap_pool[kBootstrapBytes];
// Inline: every free asks.
inline bool is_bootstrap(const void* p) {
  auto c = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(g_bootstrap_pool);
  return c < kBootstrapBytes;
}

// ---- preload_state.cc: init, connection, control messages.
void ensure_init();             // phase A: env, clock, socket, hello (idempotent)
void turn_off(const char* why);  // tracking off for this process, said once
// Sends one whole message; on failure counts `events` as lost (or turns tracking off).
bool send_message(const void* a, size_t a_len, const void* b, size_t b_len, uint64_t events);
void send_status(format::HeapStatus status, const char* text);
void send_stats();
void send_exit_marker(format::ExitKind kind);
bool connect_and_hello(uint32_t flags, uint64_t parent_nonce, uint64_t fork_id);

// ---- preload_buffer.cc: per-thread buffers.
//
// A slot's owner brackets every append with enter_slot/leave_slot. Another thread that
// must take the buffer (the flusher, a fork, an exit) "steals" it. With membarrier(2) the
// owner's side is two plain stores and a load: the stealer sets `stolen`, issues one
// MEMBARRIER_CMD_PRIVATE_EXPEDITED (a full barrier on every thread of the process), then
// reads `busy` — Dekker's algorithm with the owner's fence paid by the stealer. Without
// membarrier, and for the slot shared by threads that have none of their own, `busy` is an
// ordinary spinlock taken with an atomic exchange.
struct UnwindCache;
struct alignas(64) Slot {
  std::atomic<int> busy{0};
  std::atomic<int> stolen{0};
  std::atomic<int> owner{0};  // tid of the owning thread, 0 when free, -1 for the shared slot
  bool exclusive = false;     // busy is a spinlock (shared slot, or no membarrier)
  int guard = 0;              // >0 while the owner runs our own code: its calls pass through
  uint32_t used = 0;          // words
  uint64_t* words = nullptr;  // kBufferWords, mapped on first use
  uint64_t base_ts = 0;
  uint64_t events = 0;        // records in the buffer
  uintptr_t stack_low = 0;    // the owning thread's stack, [low, high); 0 = unknown
  uintptr_t stack_high = 0;
  bool stack_pending = false;  // bounds not read yet (claimed inside an allocator's mmap)
  UnwindCache* cache = nullptr;
  int64_t bytes_until_sample = 0;
  uint64_t rng = 0;
  uint64_t coarse_ts = 0;      // event_ts: the last stamp given, from the last clock read
  uint32_t coarse_epoch = 0;
  uint32_t coarse_left = 0;     // further events that may reuse coarse_ts
  // How stacks were obtained (summed over slots for StatsMsg).
  uint64_t cfi_stacks = 0, dwarf_stacks = 0, cached_stacks = 0, truncated_stacks = 0;
  uint64_t tail_reuses = 0;
};
inline constexpr uint32_t kBufferWords =
    static_cast<uint32_t>((format::kMaxMessageBytes - sizeof(format::MsgHeader)) / 8);

// An event's time. Times order the events of different threads (a pointer freed in one and
// reused in another), which needs a clock read per event; but the clock read costs about
// 10 ns, a third of the recording path. While a single thread records, order comes from
// its buffer alone and times only date events (short-lived blocks, tombstone expiry), so a
// read is reused for up to kCoarseEvents events when they come densely (the last batch
// took under kDenseTicks) and never across a flusher pass (100 ms). The first event of a
// second thread sets bit 0 of clock_epoch for good before it records anything, and a
// thread that could race with it (a free of a pointer that thread allocated, a reuse of
// one it freed) synchronizes through the allocator first, so it sees the bit. A reused read
// still gives every event its own stamp, one tick after the previous: the aggregator
// orders a thread's free and the next alloc of the same address by stamp (a free that
// matched no block waits as a tombstone for the first alloc *not before* it), so two
// equal stamps would let a block allocated after such a free be taken as already freed.
// One tick per event stays behind the real clock: no event takes less than a tick.
inline constexpr uint32_t kCoarseEvents = 16;
inline constexpr uint64_t kDenseTicks = uint64_t{1} << 16;  // 16-65 us of TSC, 65 us of ns
uint64_t event_ts_slow(Slot* s, uint32_t epoch);
inline uint64_t event_ts(Slot* s) {
  uint32_t epoch = g.clock_epoch.load(std::memory_order_relaxed);
  if (epoch & 1) return now_ts();
  if (LS_LIKELY(epoch == s->coarse_epoch && s->coarse_left != 0)) {
    --s->coarse_left;
    return ++s->coarse_ts;
  }
  return event_ts_slow(s, epoch);
}
void note_recording_thread(Slot* mine);  // claim_slot: a second thread sets bit 0

// A slot for thread `tid` (the shared one when all are taken), its guard raised. Reading
// the thread's stack bounds allocates (pthread_getattr_np: a cpuset, and /proc/self/maps
// for the main thread): with `may_allocate` false (mmap and friends, which an allocator
// such as jemalloc calls while holding its own lock) that is left to the thread's next
// malloc-family event (read_pending_stack); until then walks are not cached.
Slot* claim_slot(int tid, bool may_allocate);
void read_stack_bounds(Slot* s);
inline void read_pending_stack(Slot* s) {
  if (LS_UNLIKELY(s->stack_pending)) read_stack_bounds(s);
}
Slot* shared_slot();
void release_slot(Slot* s);  // the owning thread exits: flush and free it
void enter_slot_slow(Slot* s);
inline void enter_slot(Slot* s) {
  if (LS_UNLIKELY(s->exclusive)) return enter_slot_slow(s);
  s->busy.store(1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);  // the stealer's membarrier orders it
  if (LS_UNLIKELY(s->stolen.load(std::memory_order_acquire) != 0)) enter_slot_slow(s);
}
inline void leave_slot(Slot* s) { s->busy.store(0, std::memory_order_release); }

void append_slow(Slot* s, const uint64_t* w, int words, uint64_t ts, uint32_t stack);
// Appends one record: `words` words of which the caller gives all but the last, which
// becomes ts_word(stack, ts - base). The caller is inside enter_slot/leave_slot.
inline void append(Slot* s, const uint64_t* w, int words, uint64_t ts, uint32_t stack) {
  int64_t delta = static_cast<int64_t>(ts - s->base_ts);
  if (LS_UNLIKELY(s->used == 0 || s->used + static_cast<uint32_t>(words) > kBufferWords ||
                  delta != static_cast<int32_t>(delta) ||
                  g.final_flush.load(std::memory_order_relaxed)))
    return append_slow(s, w, words, ts, stack);
  uint64_t* out = s->words + s->used;
  for (int i = 0; i + 1 < words; ++i) out[i] = w[i];
  out[words - 1] = format::ts_word(stack, static_cast<int32_t>(delta));
  s->used += static_cast<uint32_t>(words);
  s->events += 1;
}
void flush_locked(Slot* s);       // the caller holds the slot (owner or stealer)
void flush_all_slots();           // every slot (exit, exec, abort)
void lock_all_slots_for_fork();   // prepare: flush and hold every slot
void unlock_all_slots_after_fork(bool child);
// Sums the per-slot unwinder counters: cfi, dwarf, cached, truncated, tail reuses.
void sum_slot_stats(uint64_t out[5]);
void buffers_init();              // thread-exit key, membarrier registration
bool start_flusher();

// ---- preload_cfi.cc: cached CFI unwinding rules.
struct CfiRule {
  enum Status : uint8_t { kUnknown = 0, kOk = 1, kUnsupported = 2, kOutermost = 3 };
  Status status = kUnknown;
  bool cfa_from_rbp = false;  // CFA = (rbp or rsp) + cfa_offset
  int32_t cfa_offset = 0;
  int32_t rbp_offset = 0;     // 0: rbp unchanged in the caller; else saved at CFA + offset
};
// The rule that unwinds the frame of the function a return address points into.
CfiRule compute_cfi_rule(uintptr_t return_address);

// ---- preload_unwind.cc: call stacks.
// Interned id of the current call stack. pc0 is the hook's return address, frame its
// frame address (__builtin_frame_address(0) of the exported function).
uint32_t capture_stack(Slot* s, uintptr_t pc0, void* frame);
void unwind_load_unwinder();  // constructor: dlopen libgcc_s (RTLD_LOCAL) for DWARF unwinding
void unwind_after_fork_child();
// Sends the queued stack definitions; every event buffer calls it before it leaves.
void send_pending_stack_defs();
// Around fork: the batch is sent and held so the child never inherits a half-written one.
void hold_stack_defs_for_fork();
void release_stack_defs_after_fork();

// ---- preload_sampler.cc: Poisson sampling by bytes.
//
// The sampled mode's fast paths decide before the real call, from one cache line of
// process-wide state, so that an allocation or free that is not sampled costs a few
// instructions and no per-thread lookup (see preload_sampler.cc): while one thread
// allocates, the byte count is process-wide and that thread's; a free needs one bit of the
// filter.
struct alignas(64) FastSampling {
  std::atomic<bool> sampling{false};  // sampled mode, real functions known, tracking on
  std::atomic<bool> single{false};    // one thread counts, with the count below:
  std::atomic<int64_t> bytes_left{0};
  std::atomic<uintptr_t> owner_tp{0};  // its thread pointer (any other thread's call ends it)
  size_t interval = 0;  // g.sample_interval once sampling started; 0 sends every call on
  // Copies of real.*, set before `sampling` and never changed after.
  void* (*malloc)(size_t) = nullptr;
  void (*free)(void*) = nullptr;
  void* (*calloc)(size_t, size_t) = nullptr;
  void* (*realloc)(void*, size_t) = nullptr;
};
extern FastSampling g_fast;
inline constexpr size_t kFilterBuckets = 1 << 16;
extern std::atomic<uint64_t> g_sample_filter[kFilterBuckets / 64];
inline size_t sample_bucket(uintptr_t p) { return ((p >> 4) * 0x9E3779B97F4A7C15ULL) >> 48; }
// True when some sampled pointer hashes to bucket b (then the set decides).
inline bool bucket_may_hold(size_t b) {
  return (g_sample_filter[b >> 6].load(std::memory_order_relaxed) >> (b & 63)) & 1;
}
// True: p is certainly not a sampled block (nor a bootstrap one): the real free may have it.
inline bool fast_free_skips(const void* p) {
  return g_fast.sampling.load(std::memory_order_relaxed) && !is_bootstrap(p) &&
         !bucket_may_hold(sample_bucket(reinterpret_cast<uintptr_t>(p)));
}
void fast_sampling_start();  // the constructor, once the real functions are known
void fast_sampling_single(bool single);  // a second recording thread; a fork child
// With several recording threads, the thread's own count: true when it stays positive
// (the count was taken); false leaves the decision to sample_allocation.
inline bool slot_count_skips(Slot* s, size_t size) {
  if (LS_UNLIKELY(s->rng == 0)) return false;
  int64_t left = s->bytes_until_sample - static_cast<int64_t>(size);
  if (LS_UNLIKELY(left <= 0)) return false;
  s->bytes_until_sample = left;
  return true;
}
inline bool sample_skips(Slot* s, size_t size) {
  return size < g.sample_interval && !g_fast.single.load(std::memory_order_relaxed) &&
         slot_count_skips(s, size);
}
// True when this allocation is recorded; sampled pointers are remembered so that frees of
// unsampled blocks cost one probe.
bool sample_allocation(Slot* s, size_t size, void* ptr);
bool sample_forget(void* ptr);  // true if ptr was sampled (and now is not)
bool sample_remember_again(void* ptr);  // undo sample_forget (a failed realloc)
// Around fork: no thread may be half-way through the filter's update.
void sampler_lock_for_fork();
void sampler_unlock_after_fork();

// ---- preload_interpose_check.cc
// False when an object ahead of this library in the global search order (the program, or a
// library preloaded before us) defines malloc: the program's calls never reach us.
bool check_interposed();

// ---- preload_modules.cc
void send_modules();
void send_modules_if_changed();  // cheap check of the loader's object count first
void find_allocator_text();      // g.allocator_text_*, once the real malloc is known

// ---- preload_thread.cc: per-thread state without thread-local storage. A TLS segment in
// this library (or in a library it loads) would give every thread's DTV one more slot,
// which glibc allocates with calloc at pthread_create: the target would allocate more than
// it does alone. The thread's slot hangs off a pthread key instead; threads that have none
// yet and are inside our own code are remembered by tid in a small table.
extern pthread_key_t g_thread_key;
inline constexpr uintptr_t kThreadExited = 1;  // key value after our destructor ran
void threads_init();  // the key (once per process)
Slot* hook_slot_slow(void* value, bool may_allocate);

// In front of the key: a direct-mapped cache from the thread pointer to the thread's slot,
// one load instead of a call to pthread_getspecific on every event. An entry belongs to
// the thread whose pointer it holds, from the first time that thread finds it empty until
// its slot is released (thread exit; in a fork child every other thread's entry is
// cleared, and so is a dead thread's when its slot is reclaimed), and only that thread
// writes it: a thread that finds its own pointer there reads a slot it wrote itself.
// Filled in that order (pointer, then slot) and cleared in the other, so a signal handler
// in between sees no slot and asks the key.
struct ThreadCacheEntry {
  std::atomic<uintptr_t> tp{0};
  std::atomic<Slot*> slot{nullptr};
};
inline constexpr size_t kThreadCacheEntries = 256;
extern ThreadCacheEntry g_thread_cache[kThreadCacheEntries];
inline uintptr_t thread_pointer() {
#if defined(__x86_64__)
  uintptr_t tp;  // %fs:0 holds the TCB's own address (x86-64 psABI)
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  return tp;
#else
  return reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
#endif
}
inline ThreadCacheEntry& thread_cache_entry(uintptr_t tp) {
  return g_thread_cache[((tp >> 12) * 0x9E3779B97F4A7C15ULL) >> 56];
}
inline Slot* cached_slot() {
  uintptr_t tp = thread_pointer();
  ThreadCacheEntry& e = thread_cache_entry(tp);
  if (LS_LIKELY(e.tp.load(std::memory_order_relaxed) == tp))
    return e.slot.load(std::memory_order_relaxed);
  return nullptr;
}
void thread_cache_fill(Slot* s);  // the calling thread's entry, if free
void thread_cache_clear();        // the calling thread's entry, if its own
void thread_cache_clear_slot(const Slot* s);  // a dead thread's entry
void thread_cache_keep_only_caller();         // fork child

// The calling thread's slot when its event may be recorded now (tracking on, not inside our
// own code), claiming one on the thread's first event; nullptr: pass through. The mmap
// family passes may_allocate false (see claim_slot).
inline Slot* hook_slot(bool may_allocate = true) {
  if (LS_UNLIKELY(g.state.load(std::memory_order_relaxed) != static_cast<int>(State::kActive)))
    return nullptr;
  if (Slot* s = cached_slot(); LS_LIKELY(s != nullptr)) return s->guard == 0 ? s : nullptr;
  void* v = pthread_getspecific(g_thread_key);
  if (LS_LIKELY(reinterpret_cast<uintptr_t>(v) > kThreadExited)) {
    Slot* s = static_cast<Slot*>(v);
    thread_cache_fill(s);
    return s->guard == 0 ? s : nullptr;
  }
  return hook_slot_slow(v, may_allocate);
}

// True while the process-wide count is the calling thread's (the single mode's owner).
inline bool owns_single_count() {
  return g_fast.single.load(std::memory_order_relaxed) &&
         g_fast.owner_tp.load(std::memory_order_relaxed) == thread_pointer();
}

// True: an allocation of `size` bytes is certainly not sampled (the count was taken).
// Full tracking (interval 0) returns false at the first comparison.
inline bool fast_alloc_skips(size_t size) {
  if (size >= g_fast.interval) return false;
  if (LS_LIKELY(owns_single_count())) {
    int64_t left = g_fast.bytes_left.load(std::memory_order_relaxed) - static_cast<int64_t>(size);
    if (LS_UNLIKELY(left <= 0)) return false;
    g_fast.bytes_left.store(left, std::memory_order_relaxed);
    return true;
  }
  Slot* s = cached_slot();
  return s != nullptr && slot_count_skips(s, size);
}

// The calling thread's own slot, or nullptr (never claims).
Slot* own_slot();
// Marks the calling thread as running our code until leave: its allocations pass through.
struct GuardToken {
  Slot* slot = nullptr;
  int entry = -1;
};
GuardToken guard_enter();
void guard_leave(GuardToken token);
// In a fork child, where only the forking thread is left (token: its fork-handler guard).
void threads_after_fork_child(GuardToken* token);
struct GuardScope {
  GuardScope() : token(guard_enter()) {}
  ~GuardScope() { guard_leave(token); }
  GuardScope(const GuardScope&) = delete;
  GuardScope& operator=(const GuardScope&) = delete;
  GuardToken token;
};

// ---- preload_hooks.cc: recording entry points shared by the exported functions.
// Each runs with the slot's guard raised; `s` comes from hook_slot().
void record_alloc(Slot* s, void* p, size_t size, uintptr_t pc0, void* frame);
void record_free(Slot* s, void* p);  // in sampled mode, p was found in the sampled set
// old_p was freed at free_ts (recorded if old_recorded) and new_p (may be null) allocated.
void record_realloc(Slot* s, void* old_p, bool old_recorded, void* new_p, size_t size,
                    uint64_t free_ts, uintptr_t pc0, void* frame);
void record_mmap(Slot* s, void* p, size_t len, uintptr_t pc0, void* frame);
void record_munmap(Slot* s, void* p, size_t len);
void record_mremap(Slot* s, void* old_p, size_t old_len, void* new_p, size_t new_len,
                   uintptr_t pc0, void* frame);
// The tracked halves of the exported malloc family (preload_entry.cc tail-calls them, so
// their own return address and frame are the program's call site).
void* malloc_tracked(size_t n);
void free_tracked(void* p);
void* calloc_tracked(size_t n, size_t size);
void* realloc_tracked(void* p, size_t n);
enum class NewForm : uint8_t {
  kNew,
  kNewArray,
  kNewNothrow,
  kNewArrayNothrow,
  kNewAligned,
  kNewArrayAligned,
  kNewAlignedNothrow,
  kNewArrayAlignedNothrow,
};
// align 0: the unaligned forms.
void* new_tracked(NewForm form, size_t n, size_t align);
// exit, _exit, abort, exec: flush everything and say why (no-op in a vfork child).
void image_ending(format::ExitKind kind);

}  // namespace leakscope::preload
