// Open-addressing live-block map; see heap_live_map.h.
#include "collect/heap_live_map.h"

namespace leakscope::collect {

LiveMap::Block LiveMap::unpack_big(const Entry& e) const {
  auto it = big_sizes_.find(e.ptr);
  return Block{it != big_sizes_.end() ? it->second : kBigSize, e.ts, e.stack};
}

void LiveMap::pack(Entry* e, uint64_t ptr, const Block& b) {
  e->ptr = ptr;
  e->ts = b.ts;
  e->stack = b.stack;
  if (b.size < kBigSize) {
    e->size = static_cast<uint32_t>(b.size);
  } else {
    e->size = kBigSize;
    big_sizes_[ptr] = b.size;
  }
}

size_t LiveMap::slot_of(uint64_t ptr) const {
  size_t i = home(ptr);
  while (entries_[i].ptr != 0 && entries_[i].ptr != ptr) i = (i + 1) & mask_;
  return i;
}

bool LiveMap::find(uint64_t ptr, Block* out) const {
  if (count_ == 0) return false;
  const Entry& e = entries_[slot_of(ptr)];
  if (e.ptr != ptr) return false;
  *out = unpack(e);
  return true;
}

bool LiveMap::insert(uint64_t ptr, const Block& block, Block* old) {
  if ((count_ + 1) * 10 > entries_.size() * 7) grow();
  Entry& e = entries_[slot_of(ptr)];
  if (e.ptr == ptr) {
    *old = unpack(e);
    if (e.size == kBigSize) big_sizes_.erase(ptr);
    pack(&e, ptr, block);
    return true;
  }
  pack(&e, ptr, block);
  ++count_;
  return false;
}

bool LiveMap::erase(uint64_t ptr, Block* out) {
  if (count_ == 0) return false;
  size_t i = slot_of(ptr);
  if (entries_[i].ptr != ptr) return false;
  *out = unpack(entries_[i]);
  erase_at(i);
  return true;
}

bool LiveMap::erase_if_not_after(uint64_t ptr, uint64_t ts, Block* out, bool* found) {
  *found = false;
  if (count_ == 0) return false;
  size_t i = slot_of(ptr);
  if (entries_[i].ptr != ptr) return false;
  *found = true;
  *out = unpack(entries_[i]);
  if (out->ts > ts) return false;
  erase_at(i);
  return true;
}

void LiveMap::erase_at(size_t i) {
  if (entries_[i].size == kBigSize) big_sizes_.erase(entries_[i].ptr);
  // Backward-shift deletion: pull later entries of the run into the hole when their home
  // slot does not lie (cyclically) between the hole and their position.
  size_t hole = i;
  for (size_t j = (i + 1) & mask_; entries_[j].ptr != 0; j = (j + 1) & mask_) {
    size_t h = home(entries_[j].ptr);
    bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
    if (movable) {
      entries_[hole] = entries_[j];
      hole = j;
    }
  }
  entries_[hole].ptr = 0;
  --count_;
}

void LiveMap::clear() {
  std::vector<Entry>().swap(entries_);
  mask_ = 0;
  shift_ = 63;
  count_ = 0;
  big_sizes_.clear();
}

size_t LiveMap::memory_bytes() const {
  return entries_.capacity() * sizeof(Entry) + big_sizes_.size() * 48;
}

void LiveMap::grow() {
  size_t capacity = entries_.empty() ? 1024 : entries_.size() * 2;
  std::vector<Entry> old;
  old.swap(entries_);
  entries_.assign(capacity, Entry{0, 0, 0, 0});
  mask_ = capacity - 1;
  shift_ = 64 - __builtin_ctzll(capacity);
  for (const Entry& e : old) {
    if (e.ptr == 0) continue;
    entries_[slot_of(e.ptr)] = e;
  }
}

}  // namespace leakscope::collect
