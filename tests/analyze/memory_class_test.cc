// Growth classification against the live heap: RSS growing while the heap tracker's live
// heap stays flat is allocator retention, but only as far as the live-heap data can tell.
// A sampled live heap moves in steps of the sampling interval: over a window in which a
// slow leak took no sample yet it looks flat, and "retention" must not be claimed from it.
#include "analyze/memory_class.h"

#include <gtest/gtest.h>

namespace leakscope::analyze {
namespace {

constexpr double kWindow = 600;         // seconds
constexpr double kAnonRate = 100 * 1024.0 / 60;  // 100 KiB/min

ProcessVerdict growing_anon() {
  ProcessVerdict p;
  p.pid = 42;
  SeriesVerdict anon;
  anon.r.name = "anon";
  anon.r.source = "RssAnon";
  anon.r.kind = SeriesKind::kBytes;
  anon.r.state = State::kSustainedGrowth;
  anon.r.window_t0 = 0;
  anon.r.window_t1 = kWindow;
  anon.r.rate = anon.r.ci_lo = anon.r.ci_hi = kAnonRate;
  p.series.push_back(anon);
  return p;
}

Series flat_heap() {
  Series heap;
  heap.name = "live_heap";
  for (int i = 0; i <= static_cast<int>(kWindow); i += 5) {
    heap.t.push_back(i);
    heap.v.push_back(8 << 20);
  }
  return heap;
}

TEST(MemoryClass, FlatFullyTrackedHeapMeansRetention) {
  ProcessVerdict p = growing_anon();
  Series heap = flat_heap();
  ClassInputs in;
  in.live_heap = &heap;
  MemoryClass mc = classify_growth(p, in);
  EXPECT_EQ(mc.growth_class, "private-anonymous");
  EXPECT_TRUE(mc.heap_data);
  EXPECT_TRUE(mc.allocator_retention_suspected);
}

TEST(MemoryClass, FlatSampledHeapIsNotEnoughForRetention) {
  // At 512 KiB per step, a leak of 100 KiB/min takes a step every ~5 minutes: ten
  // minutes without one is no evidence that the heap is flat.
  ProcessVerdict p = growing_anon();
  Series heap = flat_heap();
  ClassInputs in;
  in.live_heap = &heap;
  in.heap_sample_interval = 512 << 10;
  MemoryClass mc = classify_growth(p, in);
  EXPECT_TRUE(mc.heap_data);
  EXPECT_FALSE(mc.allocator_retention_suspected);
  // A fine sampling interval (4 KiB: ~250 steps expected in the window) settles it.
  in.heap_sample_interval = 4 << 10;
  EXPECT_TRUE(classify_growth(p, in).allocator_retention_suspected);
}

}  // namespace
}  // namespace leakscope::analyze
