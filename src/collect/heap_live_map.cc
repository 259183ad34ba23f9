// Bucketed live-block map; see heap_live_map.h for the layout and why.
#include "collect/heap_live_map.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace leakscope::collect {

namespace {

// Bit j set when bucket[j] == ptr (bucket is 64-byte aligned, eight keys).
inline unsigned match_bucket(const uint64_t* bucket, uint64_t ptr) {
#if defined(__SSE2__)
  // SSE2 has no 64-bit compare: compare 32-bit halves and require both.
  const __m128i want = _mm_set1_epi64x(static_cast<long long>(ptr));
  unsigned mask = 0;
  for (int j = 0; j < 4; ++j) {
    __m128i eq32 = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(bucket + 2 * j)), want);
    __m128i eq64 = _mm_and_si128(eq32, _mm_shuffle_epi32(eq32, 0xB1));
    mask |= static_cast<unsigned>(_mm_movemask_pd(_mm_castsi128_pd(eq64))) << (2 * j);
  }
  return mask;
#else
  unsigned mask = 0;
  for (int j = 0; j < 8; ++j) mask |= static_cast<unsigned>(bucket[j] == ptr) << j;
  return mask;
#endif
}

}  // namespace

void LiveMap::FreeAligned::operator()(uint64_t* p) const { std::free(p); }

LiveMap& LiveMap::operator=(const LiveMap& other) {
  if (this == &other) return *this;
  clear();
  for (size_t i = 0; i < other.buckets_ * kWays; ++i) {
    if (other.keys_[i] == 0) continue;
    Block ignored;
    insert(other.keys_[i], other.unpack(other.keys_[i], other.values_[i]), &ignored);
  }
  return *this;
}

void LiveMap::swap(LiveMap& other) noexcept {
  std::swap(keys_, other.keys_);
  std::swap(values_, other.values_);
  std::swap(overflow_, other.overflow_);
  std::swap(buckets_, other.buckets_);
  std::swap(shift_, other.shift_);
  std::swap(count_, other.count_);
  std::swap(big_sizes_, other.big_sizes_);
}

LiveMap::Block LiveMap::unpack_big(uint64_t ptr, const Value& v) const {
  auto it = big_sizes_.find(ptr);
  return Block{it != big_sizes_.end() ? it->second : kBigSize, v.ts, v.stack};
}

LiveMap::Value LiveMap::pack(uint64_t ptr, const Block& b) {
  if (b.size < kBigSize) return Value{b.ts, b.stack, static_cast<uint32_t>(b.size)};
  big_sizes_[ptr] = b.size;
  return Value{b.ts, b.stack, kBigSize};
}

ptrdiff_t LiveMap::index_of(uint64_t ptr) const {
  if (count_ == 0) return -1;
  size_t mask = buckets_ - 1;
  for (size_t b = home(ptr);; b = (b + 1) & mask) {
    unsigned m = match_bucket(&keys_[b * kWays], ptr);
    if (m != 0) return static_cast<ptrdiff_t>(b * kWays + static_cast<size_t>(__builtin_ctz(m)));
    if (overflow_[b] == 0) return -1;
  }
}

bool LiveMap::find(uint64_t ptr, Block* out) const {
  ptrdiff_t i = index_of(ptr);
  if (i < 0) return false;
  *out = unpack(ptr, values_[i]);
  return true;
}

void LiveMap::place(uint64_t ptr, const Value& v) {
  size_t mask = buckets_ - 1;
  for (size_t b = home(ptr);; b = (b + 1) & mask) {
    unsigned m = match_bucket(&keys_[b * kWays], 0);
    if (m != 0) {
      size_t i = b * kWays + static_cast<size_t>(__builtin_ctz(m));
      keys_[i] = ptr;
      values_[i] = v;
      ++count_;
      return;
    }
    ++overflow_[b];
  }
}

bool LiveMap::insert(uint64_t ptr, const Block& block, Block* old) {
  ptrdiff_t i = index_of(ptr);
  if (i >= 0) {
    *old = unpack(ptr, values_[i]);
    if (values_[i].size == kBigSize) big_sizes_.erase(ptr);
    values_[i] = pack(ptr, block);
    return true;
  }
  if ((count_ + 1) * 8 > buckets_ * kWays * 5) grow();
  place(ptr, pack(ptr, block));
  return false;
}

void LiveMap::erase_at(uint64_t ptr, size_t index) {
  if (values_[index].size == kBigSize) big_sizes_.erase(ptr);
  keys_[index] = 0;
  --count_;
  size_t mask = buckets_ - 1;
  for (size_t b = home(ptr), end = index / kWays; b != end; b = (b + 1) & mask) --overflow_[b];
}

bool LiveMap::erase(uint64_t ptr, Block* out) {
  ptrdiff_t i = index_of(ptr);
  if (i < 0) return false;
  *out = unpack(ptr, values_[i]);
  erase_at(ptr, static_cast<size_t>(i));
  return true;
}

bool LiveMap::erase_if_not_after(uint64_t ptr, uint64_t ts, Block* out, bool* found) {
  ptrdiff_t i = index_of(ptr);
  *found = i >= 0;
  if (i < 0) return false;
  *out = unpack(ptr, values_[i]);
  if (out->ts > ts) return false;
  erase_at(ptr, static_cast<size_t>(i));
  return true;
}

void LiveMap::clear() {
  keys_.reset();
  values_.reset();
  overflow_.reset();
  buckets_ = 0;
  shift_ = 64;
  count_ = 0;
  big_sizes_.clear();
}

size_t LiveMap::memory_bytes() const {
  return buckets_ * (kWays * (sizeof(uint64_t) + sizeof(Value)) + sizeof(uint32_t)) +
         big_sizes_.size() * 48;
}

void LiveMap::grow() {
  size_t buckets = buckets_ == 0 ? 64 : buckets_ * 2;
  size_t key_bytes = buckets * kWays * sizeof(uint64_t);
  std::unique_ptr<uint64_t[], FreeAligned> keys(static_cast<uint64_t*>(std::aligned_alloc(64, key_bytes)));
  if (!keys) throw std::bad_alloc();
  std::memset(keys.get(), 0, key_bytes);
  auto values = std::make_unique<Value[]>(buckets * kWays);
  auto overflow = std::make_unique<uint32_t[]>(buckets);
  std::swap(keys, keys_);
  std::swap(values, values_);
  std::swap(overflow, overflow_);
  size_t old_slots = buckets_ * kWays;
  buckets_ = buckets;
  shift_ = 64 - __builtin_ctzll(buckets);
  size_t count = count_;
  count_ = 0;
  for (size_t i = 0; i < old_slots; ++i)
    if (keys[i] != 0) place(keys[i], values[i]);
  count_ = count;
}

}  // namespace leakscope::collect
