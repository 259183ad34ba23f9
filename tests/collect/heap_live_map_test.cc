// LiveMap against std::unordered_map over random operations: the backward-shift deletion
// and growth must never lose or misplace an entry, whatever the pointer pattern.
#include "collect/heap_live_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace leakscope::collect {
namespace {

void check_equal(const LiveMap& map, const std::unordered_map<uint64_t, LiveMap::Block>& ref) {
  ASSERT_EQ(map.size(), ref.size());
  for (const auto& [ptr, b] : ref) {
    LiveMap::Block got;
    ASSERT_TRUE(map.find(ptr, &got)) << std::hex << ptr;
    EXPECT_EQ(got.size, b.size);
    EXPECT_EQ(got.ts, b.ts);
    EXPECT_EQ(got.stack, b.stack);
  }
  size_t visited = 0;
  map.for_each([&](uint64_t ptr, const LiveMap::Block& b) {
    ++visited;
    auto it = ref.find(ptr);
    ASSERT_NE(it, ref.end());
    EXPECT_EQ(it->second.size, b.size);
  });
  EXPECT_EQ(visited, ref.size());
}

TEST(LiveMapTest, RandomOperationsMatchReference) {
  for (uint64_t stride : {16ULL, 32ULL, 4096ULL, 1ULL << 20}) {
    std::mt19937_64 rng(stride);
    LiveMap map;
    std::unordered_map<uint64_t, LiveMap::Block> ref;
    for (int step = 0; step < 60000; ++step) {
      uint64_t ptr = 0x10000 + (rng() % 5000) * stride;
      int op = static_cast<int>(rng() % 3);
      if (op < 2) {
        LiveMap::Block b{rng() % 4096, static_cast<uint64_t>(step), static_cast<uint32_t>(rng() % 50)};
        LiveMap::Block old;
        bool replaced = map.insert(ptr, b, &old);
        EXPECT_EQ(replaced, ref.count(ptr) == 1);
        if (replaced) {
          EXPECT_EQ(old.ts, ref[ptr].ts);
        }
        ref[ptr] = b;
      } else {
        LiveMap::Block out;
        bool erased = map.erase(ptr, &out);
        EXPECT_EQ(erased, ref.count(ptr) == 1);
        if (erased) {
          EXPECT_EQ(out.size, ref[ptr].size);
        }
        ref.erase(ptr);
      }
    }
    check_equal(map, ref);
  }
}

TEST(LiveMapTest, SizesOfFourGigabytesAndMore) {
  LiveMap map;
  LiveMap::Block old;
  map.insert(0x1000, {5ULL << 32, 1, 7}, &old);
  map.insert(0x2000, {0xffffffffULL, 2, 8}, &old);
  map.insert(0x3000, {12, 3, 9}, &old);
  LiveMap::Block b;
  ASSERT_TRUE(map.find(0x1000, &b));
  EXPECT_EQ(b.size, 5ULL << 32);
  ASSERT_TRUE(map.find(0x2000, &b));
  EXPECT_EQ(b.size, 0xffffffffULL);
  ASSERT_TRUE(map.erase(0x1000, &b));
  EXPECT_EQ(b.size, 5ULL << 32);
  EXPECT_FALSE(map.find(0x1000, &b));
  EXPECT_EQ(map.size(), 2u);
}

TEST(LiveMapTest, EraseIfNotAfterKeepsNewerBlocks) {
  LiveMap map;
  LiveMap::Block old, out;
  map.insert(0x40, {8, 100, 1}, &old);
  bool found = false;
  EXPECT_FALSE(map.erase_if_not_after(0x40, 50, &out, &found));  // a free older than the block
  EXPECT_TRUE(found);
  EXPECT_EQ(map.size(), 1u);
  EXPECT_TRUE(map.erase_if_not_after(0x40, 150, &out, &found));
  EXPECT_EQ(out.size, 8u);
  EXPECT_FALSE(map.erase_if_not_after(0x40, 200, &out, &found));
  EXPECT_FALSE(found);
}

TEST(LiveMapTest, CopiesAndMovesKeepEveryBlockAndLeaveTheSourceEmptyOrIntact) {
  LiveMap map;
  LiveMap::Block old, b;
  for (uint64_t i = 1; i <= 1000; ++i) map.insert(i * 48, {i, i, 1}, &old);
  map.insert(0x9000000, {5ULL << 32, 1, 2}, &old);
  LiveMap copy(map);
  ASSERT_EQ(copy.size(), map.size());
  ASSERT_TRUE(copy.find(0x9000000, &b));
  EXPECT_EQ(b.size, 5ULL << 32);
  LiveMap moved(std::move(map));
  EXPECT_EQ(moved.size(), 1001u);
  EXPECT_EQ(map.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from map is empty
  EXPECT_FALSE(map.find(48, &b));
  map.insert(48, {7, 7, 7}, &old);  // and usable
  ASSERT_TRUE(map.find(48, &b));
  EXPECT_EQ(b.size, 7u);
  copy = std::move(moved);
  ASSERT_TRUE(copy.find(1000 * 48, &b));
  EXPECT_EQ(b.size, 1000u);
}

}  // namespace
}  // namespace leakscope::collect
