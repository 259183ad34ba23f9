// The collector's map of live blocks of one process image: pointer -> (size, stack, time).
// It sees every allocation and free of the target, so it is an open-addressing table with
// linear probing and backward-shift deletion (no tombstones, no per-entry allocation):
// 24 bytes per entry at up to 70% load. Sizes of 4 GiB and more, which are rare, live in a
// small side map so that the common entry stays compact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace leakscope::collect {

class LiveMap {
 public:
  struct Block {
    uint64_t size = 0;
    uint64_t ts = 0;
    uint32_t stack = 0;
  };

  LiveMap() = default;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Starts loading ptr's home entry into the cache (a later find/insert/erase is cheaper).
  void prefetch(uint64_t ptr) const {
    if (!entries_.empty()) __builtin_prefetch(&entries_[home(ptr)]);
  }
  bool find(uint64_t ptr, Block* out) const;
  // Inserts ptr; if it was present, its old block goes to *old and true is returned.
  bool insert(uint64_t ptr, const Block& block, Block* old);
  bool erase(uint64_t ptr, Block* out);
  // Erases ptr only if its block was allocated at or before ts (one probe for a free).
  // Returns false, leaving the map alone, when ptr is absent or newer (*found tells which).
  bool erase_if_not_after(uint64_t ptr, uint64_t ts, Block* out, bool* found);
  void clear();
  size_t memory_bytes() const;

  template <typename F>
  void for_each(F fn) const {
    for (const Entry& e : entries_)
      if (e.ptr != 0) fn(e.ptr, unpack(e));
  }

 private:
  struct Entry {
    uint64_t ptr;  // 0 = empty
    uint64_t ts;
    uint32_t stack;
    uint32_t size;  // kBigSize: see big_sizes_
  };
  static constexpr uint32_t kBigSize = 0xffffffffU;

  // Fibonacci hashing: one multiply, the high bits spread well (pointers are 16-aligned).
  size_t home(uint64_t ptr) const {
    return static_cast<size_t>(((ptr >> 4) * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }
  Block unpack(const Entry& e) const {
    if (e.size != kBigSize) return Block{e.size, e.ts, e.stack};
    return unpack_big(e);
  }
  Block unpack_big(const Entry& e) const;
  void erase_at(size_t i);
  void pack(Entry* e, uint64_t ptr, const Block& b);
  void grow();
  size_t slot_of(uint64_t ptr) const;  // index of ptr, or of the empty entry ending its run

  std::vector<Entry> entries_;
  size_t mask_ = 0;
  int shift_ = 63;
  size_t count_ = 0;
  std::unordered_map<uint64_t, uint64_t> big_sizes_;
};

}  // namespace leakscope::collect
