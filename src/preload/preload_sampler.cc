// Sampled mode (`--heap=sample:BYTES`): a Poisson process over allocated bytes, as in
// heapprofd, jemalloc and tcmalloc. Each thread counts down an exponentially distributed
// number of bytes (mean = the interval R); the allocation that crosses zero is recorded and
// a fresh count is drawn. An allocation of Z < R bytes is therefore recorded with
// probability 1 - exp(-Z/R), and the collector scales it by the inverse; allocations of R
// bytes or more are always recorded (weight 1) without touching the count. Sampled
// pointers live in a lock-free set, fronted by 64 KiB of per-bucket counters that stay in
// the cache: the free of an unsampled block — nearly every free — reads one byte.
#include <math.h>

#include "preload/preload.h"

namespace leakscope::preload {
namespace {

constexpr size_t kSetEntries = 1 << 16;  // live sampled blocks; at 512 KiB: 32 GiB of heap
constexpr int kMaxProbes = 64;
constexpr uintptr_t kEmpty = 0, kTombstone = 1;
std::atomic<std::atomic<uintptr_t>*> g_set{nullptr};
// How many sampled pointers hash to each bucket (255: too many to count, always probe).
constexpr size_t kFilterBuckets = 1 << 16;
std::atomic<uint8_t> g_filter[kFilterBuckets];

inline size_t bucket_of(uintptr_t p) { return ((p >> 4) * 0x9E3779B97F4A7C15ULL) >> 48; }

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
      std::atomic<uint8_t>& count = g_filter[bucket_of(p)];
      uint8_t c = count.load(std::memory_order_relaxed);
      while (c != 255 && !count.compare_exchange_weak(c, static_cast<uint8_t>(c + 1))) {
      }
      return true;
    }
  }
  return false;
}

uint64_t next_random(Slot* s) {
  uint64_t x = s->rng;  // xorshift64*
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  s->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

int64_t draw_interval(Slot* s) {
  // U in (0, 1] from the top 53 bits; -ln(U) * R is exponential with mean R.
  double u = static_cast<double>((next_random(s) >> 11) + 1) * (1.0 / 9007199254740992.0);
  double bytes = -log(u) * static_cast<double>(g.sample_interval);
  return bytes < 1.0 ? 1 : static_cast<int64_t>(bytes);
}

}  // namespace

bool sample_allocation(Slot* s, size_t size, void* ptr) {
  if (LS_UNLIKELY(s->rng == 0)) {
    s->rng = random_u64() | 1;
    s->bytes_until_sample = draw_interval(s);
  }
  if (size < g.sample_interval) {
    s->bytes_until_sample -= static_cast<int64_t>(size);
    if (LS_LIKELY(s->bytes_until_sample > 0)) return false;
    s->bytes_until_sample = draw_interval(s);
  }
  if (remember(reinterpret_cast<uintptr_t>(ptr))) return true;
  g.sample_set_full.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool sample_forget(void* ptr) {
  auto p = reinterpret_cast<uintptr_t>(ptr);
  std::atomic<uint8_t>& count = g_filter[bucket_of(p)];
  if (LS_LIKELY(count.load(std::memory_order_relaxed) == 0)) return false;
  auto* set = g_set.load(std::memory_order_acquire);
  if (set == nullptr) return false;
  size_t i = slot_of(p);
  for (int probe = 0; probe < kMaxProbes; ++probe, i = (i + 1) & (kSetEntries - 1)) {
    uintptr_t v = set[i].load(std::memory_order_relaxed);
    if (v == kEmpty) return false;
    if (v == p) {
      if (!set[i].compare_exchange_strong(v, kTombstone)) return false;
      uint8_t c = count.load(std::memory_order_relaxed);
      while (c != 255 && c != 0 && !count.compare_exchange_weak(c, static_cast<uint8_t>(c - 1))) {
      }
      return true;
    }
  }
  return false;
}

bool sample_remember_again(void* ptr) { return remember(reinterpret_cast<uintptr_t>(ptr)); }

}  // namespace leakscope::preload
