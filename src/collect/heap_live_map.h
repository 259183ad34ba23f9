// The collector's map of live blocks of one process image: pointer -> (size, stack, time).
// It sees every allocation and free of the target, so it is the collector's hottest data
// structure. Layout: buckets of eight pointers (one cache line, compared at once with SIMD)
// and a parallel array of 16-byte values; a key that finds its home bucket full goes to the
// next one, and every bucket counts the keys that passed it (F14's outbound-overflow
// count), so a lookup stops at the first bucket no key passed and erasing needs no
// tombstones. Load stays at or below 5/8, where a bucket overflows rarely: most lookups
// cost one bucket compare, with no data-dependent branch for the hash-table probing that
// made linear probing twice as slow here (bench in docs/performance.md). At 3/4 a table
// that fits the cache was 45% slower; at 1/2 a 1.2 M-block one (a compiler's) was 25%
// slower, its cache misses outweighing the short probes, and twice the memory. Sizes of
// 4 GiB and more, which are rare, live in a small side map so the common value stays small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

namespace leakscope::collect {

class LiveMap {
 public:
  struct Block {
    uint64_t size = 0;
    uint64_t ts = 0;
    uint32_t stack = 0;
  };

  LiveMap() = default;
  LiveMap(const LiveMap& other) { *this = other; }
  LiveMap& operator=(const LiveMap& other);
  // A moved-from map is empty (not a bucket count without buckets).
  LiveMap(LiveMap&& other) noexcept { swap(other); }
  LiveMap& operator=(LiveMap&& other) noexcept {
    LiveMap taken(std::move(other));
    swap(taken);
    return *this;
  }
  void swap(LiveMap& other) noexcept;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Starts loading ptr's home bucket into the cache (a later find/insert/erase is cheaper).
  void prefetch(uint64_t ptr) const {
    if (buckets_ != 0) __builtin_prefetch(&keys_[home(ptr) * kWays]);
  }
  bool find(uint64_t ptr, Block* out) const;
  // Inserts ptr; if it was present, its old block goes to *old and true is returned.
  bool insert(uint64_t ptr, const Block& block, Block* old);
  bool erase(uint64_t ptr, Block* out);
  // Erases ptr only if its block was allocated at or before ts (one lookup for a free).
  // Returns false, leaving the map alone, when ptr is absent or newer (*found tells which).
  bool erase_if_not_after(uint64_t ptr, uint64_t ts, Block* out, bool* found);
  void clear();
  size_t memory_bytes() const;

  template <typename F>
  void for_each(F fn) const {
    for (size_t i = 0; i < buckets_ * kWays; ++i)
      if (keys_[i] != 0) fn(keys_[i], unpack(keys_[i], values_[i]));
  }

 private:
  static constexpr size_t kWays = 8;  // keys per bucket: 64 bytes
  struct Value {
    uint64_t ts;
    uint32_t stack;
    uint32_t size;  // kBigSize: see big_sizes_
  };
  static constexpr uint32_t kBigSize = 0xffffffffU;
  struct FreeAligned {
    void operator()(uint64_t* p) const;
  };

  // Fibonacci hashing: one multiply, the high bits spread well (pointers are 16-aligned).
  size_t home(uint64_t ptr) const {
    return static_cast<size_t>(((ptr >> 4) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  Block unpack(uint64_t ptr, const Value& v) const {
    if (v.size != kBigSize) return Block{v.size, v.ts, v.stack};
    return unpack_big(ptr, v);
  }
  Block unpack_big(uint64_t ptr, const Value& v) const;
  Value pack(uint64_t ptr, const Block& b);
  // Index of ptr's entry, or -1.
  ptrdiff_t index_of(uint64_t ptr) const;
  void erase_at(uint64_t ptr, size_t index);
  void place(uint64_t ptr, const Value& v);  // ptr is absent and there is room
  void grow();

  std::unique_ptr<uint64_t[], FreeAligned> keys_;  // 0 = empty; 64-byte aligned
  std::unique_ptr<Value[]> values_;
  std::unique_ptr<uint32_t[]> overflow_;  // per bucket: keys living past it
  size_t buckets_ = 0;
  int shift_ = 64;
  size_t count_ = 0;
  std::unordered_map<uint64_t, uint64_t> big_sizes_;
};

}  // namespace leakscope::collect
