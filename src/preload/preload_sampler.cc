// Sampled mode (`--heap=sample:BYTES`): a Poisson process over allocated bytes, as in
// heapprofd, jemalloc and tcmalloc. Each thread counts down an exponentially distributed
// number of bytes (mean = the interval R); the allocation that crosses zero is recorded and
// a fresh count is drawn. An allocation of Z < R bytes is therefore recorded with
// probability 1 - exp(-Z/R), and the collector scales it by the inverse; allocations of R
// bytes or more are always recorded (weight 1) without touching the count. While a single
// thread allocates, the count is process-wide (g_fast): the exported functions then decide
// "not sampled" before the real call from globals alone, without the thread's slot or
// saved registers, which more than halved what sampled mode adds to an allocation-heavy
// program. Sampled pointers live in a lock-free set, fronted by a filter of one bit per
// hash bucket (8 KiB): the free of an unsampled block — nearly every free — reads one bit.
// The filter is what the not-sampled free costs, so it must stay in the L1/L2 cache of a
// program that churns its own heap: a byte per bucket (64 KiB) missed the cache on most
// frees, 3 ns each on the churn benchmark. The exact count behind each bit lives apart and
// is only touched when a sampled block comes or goes (rare), under one lock.
#include <math.h>

#include "preload/preload.h"

namespace leakscope::preload {
namespace {

constexpr size_t kSetEntries = 1 << 16;  // live sampled blocks; at 512 KiB: 32 GiB of heap
constexpr int kMaxProbes = 64;
constexpr uintptr_t kEmpty = 0, kTombstone = 1;
std::atomic<std::atomic<uintptr_t>*> g_set{nullptr};
// Bit b of g_sample_filter: some sampled pointer hashes to bucket b (g_bucket_count[b] !=
// 0). Only g_filter_lock's holder writes either; frees read the bits without it.
uint32_t g_bucket_count[kFilterBuckets];
SpinLock g_filter_lock;
bool g_held_for_fork = false;

// delta +1: a pointer of bucket b entered the set; -1: one left it.
void count_bucket(size_t b, int delta) {
  g_filter_lock.lock();
  uint32_t before = g_bucket_count[b];
  uint32_t after = before + static_cast<uint32_t>(delta);
  g_bucket_count[b] = after;
  if ((before == 0) != (after == 0)) {
    uint64_t word = g_sample_filter[b >> 6].load(std::memory_order_relaxed);
    word = after != 0 ? word | (uint64_t{1} << (b & 63)) : word & ~(uint64_t{1} << (b & 63));
    g_sample_filter[b >> 6].store(word, std::memory_order_release);
  }
  g_filter_lock.unlock();
}

std::atomic<uintptr_t>* pointer_set() {
  auto* set = g_set.load(std::memory_order_acquire);
  if (LS_LIKELY(set != nullptr)) return set;
  auto* fresh = static_cast<std::atomic<uintptr_t>*>(map_pages(sizeof(uintptr_t) * kSetEntries));
  std::atomic<uintptr_t>* expected = nullptr;
  if (fresh && !g_set.compare_exchange_strong(expected, fresh)) {
    unmap_pages(fresh, sizeof(uintptr_t) * kSetEntries);
    return expected;
  }
  return fresh;
}

inline size_t slot_of(uintptr_t p) {
  uint64_t x = p >> 4;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 29;
  return x & (kSetEntries - 1);
}

bool remember(uintptr_t p) {
  auto* set = pointer_set();
  if (set == nullptr) return false;
  size_t i = slot_of(p);
  for (int probe = 0; probe < kMaxProbes; ++probe, i = (i + 1) & (kSetEntries - 1)) {
    uintptr_t v = set[i].load(std::memory_order_relaxed);
    if (v == p) return true;
    if ((v == kEmpty || v == kTombstone) && set[i].compare_exchange_strong(v, p)) {
      count_bucket(sample_bucket(p), +1);
      return true;
    }
  }
  return false;
}

uint64_t next_random(uint64_t* rng) {
  uint64_t x = *rng;  // xorshift64*
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

int64_t draw_interval(uint64_t* rng) {
  // U in (0, 1] from the top 53 bits; -ln(U) * R is exponential with mean R.
  double u = static_cast<double>((next_random(rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
  double bytes = -log(u) * static_cast<double>(g.sample_interval);
  return bytes < 1.0 ? 1 : static_cast<int64_t>(bytes);
}

}  // namespace

FastSampling g_fast;
std::atomic<uint64_t> g_sample_filter[kFilterBuckets / 64];

void fast_sampling_start() {
  if (g.sample_interval == 0 || real.malloc == nullptr || real.free == nullptr ||
      real.calloc == nullptr || real.realloc == nullptr)
    return;
  uint64_t rng = random_u64() | 1;
  g_fast.malloc = real.malloc;
  g_fast.free = real.free;
  g_fast.calloc = real.calloc;
  g_fast.realloc = real.realloc;
  g_fast.interval = g.sample_interval;
  g_fast.bytes_left.store(draw_interval(&rng), std::memory_order_relaxed);
  g_fast.sampling.store(true, std::memory_order_release);
  fast_sampling_single((g.clock_epoch.load() & 1) == 0);
}

void fast_sampling_single(bool single) {
  if (single) g_fast.owner_tp.store(thread_pointer(), std::memory_order_relaxed);
  g_fast.single.store(single && g_fast.sampling.load(std::memory_order_relaxed),
                      std::memory_order_seq_cst);
}

// The count is process-wide while one thread allocates: the exported functions count only
// for the thread that owns it (g_fast.owner_tp), so another thread's first allocation comes
// here through the tracked path, whose slot claim ends the single mode (note_recording_
// thread); a thread that claimed its slot before the mode began ends it below. Two threads
// never share the count's cache line for more than a call, which cost a 2-thread churn
// 40-80% at a 1 GiB interval, when no thread recorded for the whole run. An exponential
// count may be redrawn at any time (it has no memory), so switching counts biases nothing.
bool sample_allocation(Slot* s, size_t size, void* ptr) {
  if (LS_UNLIKELY(s->rng == 0)) {
    s->rng = random_u64() | 1;
    s->bytes_until_sample = draw_interval(&s->rng);
  }
  if (size < g.sample_interval) {
    if (owns_single_count()) {
      int64_t left = g_fast.bytes_left.load(std::memory_order_relaxed) - static_cast<int64_t>(size);
      g_fast.bytes_left.store(left > 0 ? left : draw_interval(&s->rng), std::memory_order_relaxed);
      if (left > 0) return false;
    } else {
      // Another thread while the single mode lasts: per-thread counts from now on.
      if (g_fast.single.load(std::memory_order_relaxed)) note_recording_thread(nullptr);
      s->bytes_until_sample -= static_cast<int64_t>(size);
      if (LS_LIKELY(s->bytes_until_sample > 0)) return false;
      s->bytes_until_sample = draw_interval(&s->rng);
    }
  }
  if (remember(reinterpret_cast<uintptr_t>(ptr))) return true;
  g.sample_set_full.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool sample_forget(void* ptr) {
  auto p = reinterpret_cast<uintptr_t>(ptr);
  size_t bucket = sample_bucket(p);
  if (LS_LIKELY(!bucket_may_hold(bucket))) return false;
  auto* set = g_set.load(std::memory_order_acquire);
  if (set == nullptr) return false;
  size_t i = slot_of(p);
  for (int probe = 0; probe < kMaxProbes; ++probe, i = (i + 1) & (kSetEntries - 1)) {
    uintptr_t v = set[i].load(std::memory_order_relaxed);
    if (v == kEmpty) return false;
    if (v == p) {
      if (!set[i].compare_exchange_strong(v, kTombstone)) return false;
      count_bucket(bucket, -1);
      return true;
    }
  }
  return false;
}

bool sample_remember_again(void* ptr) { return remember(reinterpret_cast<uintptr_t>(ptr)); }

void sampler_lock_for_fork() {
  g_filter_lock.lock();
  g_held_for_fork = true;
}
void sampler_unlock_after_fork() {
  if (!g_held_for_fork) return;
  g_held_for_fork = false;
  g_filter_lock.unlock();
}

}  // namespace leakscope::preload
