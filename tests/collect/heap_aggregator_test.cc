// The heap aggregator driven through HeapEventSink with scripted event sequences, as the
// preload decoder (or a future eBPF source) would drive it: counters per stack, reports of
// what changed, out-of-order arrival across threads, pointer reuse, fork, exec, exit,
// sampling weights and anonymous mappings.
#include "collect/heap_aggregator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace leakscope::collect {
namespace {

constexpr uint64_t kMs = 1000 * 1000;  // the scripts use a nanosecond clock

// Everything the reports said, merged the way the capture would hold it.
struct Collected {
  std::map<std::pair<int, int64_t>, store::HeapSiteSample> sites;  // (pid, stack) -> latest
  std::map<int, std::vector<store::HeapUnfreed>> unfreed;
  std::map<int, store::HeapTotal> totals;  // latest
  std::map<int, store::HeapProcess> processes;
  std::map<std::pair<int, int64_t>, std::vector<uint64_t>> stacks;
  std::map<int, std::vector<store::Module>> modules;
  std::vector<std::string> notices;

  void add(const HeapReport& r) {
    for (const auto& p : r.processes) {
      processes[p.key.pid] = p.process;
      for (const auto& s : p.sites) sites[{p.key.pid, s.stack_id}] = s;
      for (const auto& u : p.unfreed) unfreed[p.key.pid].push_back(u);
      if (p.total) totals[p.key.pid] = *p.total;
      for (const auto& s : p.stacks) stacks[{p.key.pid, s.stack_id}] = s.pcs;
      for (const auto& m : p.modules) modules[p.key.pid].push_back(m);
      for (const auto& n : p.notices) notices.push_back(n);
    }
  }
  // The capture stack id whose frames are pcs.
  int64_t stack_of(int pid, const std::vector<uint64_t>& pcs) const {
    for (const auto& [key, v] : stacks)
      if (key.first == pid && v == pcs) return key.second;
    return -1;
  }
  int64_t unfreed_bytes(int pid) const {
    int64_t total = 0;
    auto it = unfreed.find(pid);
    if (it != unfreed.end())
      for (const auto& u : it->second) total += u.bytes;
    return total;
  }
  int64_t unfreed_blocks(int pid) const {
    int64_t total = 0;
    auto it = unfreed.find(pid);
    if (it != unfreed.end())
      for (const auto& u : it->second) total += u.blocks;
    return total;
  }
};

class AggregatorTest : public ::testing::Test {
 protected:
  HeapAggregator agg;
  Collected got;

  void start(HeapImageId image, int pid, uint64_t interval = 0, HeapImageId parent = 0,
             uint64_t fork_id = 0) {
    HeapImageInfo info;
    info.pid = pid;
    info.ppid = 1;
    info.start_ticks = 1000 + static_cast<uint64_t>(pid);
    info.exe = "/bin/prog" + std::to_string(pid);
    info.sample_interval = interval;
    info.fork_parent = parent;
    info.fork_id = fork_id;
    agg.image_started(image, info);
  }
  void stack(HeapImageId image, uint32_t id, std::vector<uint64_t> pcs) {
    agg.stack_interned(image, id, pcs.data(), pcs.size());
  }
  void report(int64_t t_ms) { got.add(agg.snapshot(t_ms)); }
};

TEST_F(AggregatorTest, CountsPerStackAndReportsOnlyChanges) {
  start(1, 100);
  stack(1, 1, {0x1000, 0x2000});
  stack(1, 2, {0x1100, 0x2000});
  agg.alloc(1, 0xa000, 100, 1, 1 * kMs);
  agg.alloc(1, 0xb000, 50, 2, 2 * kMs);
  agg.alloc(1, 0xc000, 30, 1, 3 * kMs);
  agg.free(1, 0xa000, 40 * kMs);  // lived 39 ms: not short-lived
  agg.free(1, 0xb000, 2 * kMs + 10);  // short-lived
  report(1000);
  int64_t s1 = got.stack_of(100, {0x1000, 0x2000});
  int64_t s2 = got.stack_of(100, {0x1100, 0x2000});
  ASSERT_GT(s1, 0);
  ASSERT_GT(s2, 0);
  const auto& a = got.sites.at({100, s1});
  EXPECT_EQ(a.live_bytes, 30);
  EXPECT_EQ(a.live_blocks, 1);
  EXPECT_EQ(a.alloc_bytes, 130);
  EXPECT_EQ(a.alloc_blocks, 2);
  EXPECT_EQ(a.free_bytes, 100);
  EXPECT_EQ(a.free_blocks, 1);
  EXPECT_EQ(a.short_lived_blocks, 0);
  const auto& b = got.sites.at({100, s2});
  EXPECT_EQ(b.live_blocks, 0);
  EXPECT_EQ(b.short_lived_blocks, 1);
  EXPECT_EQ(got.totals.at(100).live_bytes, 30);
  EXPECT_EQ(got.totals.at(100).alloc_bytes, 180);
  EXPECT_EQ(got.totals.at(100).free_bytes, 150);
  EXPECT_EQ(got.processes.at(100).events, 5);
  EXPECT_EQ(got.processes.at(100).mode, "full");

  // Only the stack that changed is reported at the next tick; the total every tick.
  agg.alloc(1, 0xd000, 7, 2, 50 * kMs);
  HeapReport next = agg.snapshot(2000);
  ASSERT_EQ(next.processes.size(), 1u);
  ASSERT_EQ(next.processes[0].sites.size(), 1u);
  EXPECT_EQ(next.processes[0].sites[0].stack_id, s2);
  EXPECT_TRUE(next.processes[0].stacks.empty());  // a stack is written once
  ASSERT_TRUE(next.processes[0].total.has_value());
  EXPECT_EQ(next.processes[0].total->live_bytes, 37);
}

TEST_F(AggregatorTest, FarOutStackIdIsIgnoredNotAllocated) {
  // Found by heap_wire_fuzz: one stack message with id 3e9 sized a 12 GB table.
  start(1, 100);
  stack(1, 1, {0x1000});
  stack(1, 3000000000U, {0x2000});
  stack(1, 5, {0x3000});  // a little ahead (threads' definitions interleave): kept
  agg.alloc(1, 0xa000, 10, 3000000000U, 1 * kMs);
  agg.alloc(1, 0xb000, 20, 5, 2 * kMs);
  report(1000);
  EXPECT_LT(agg.memory_bytes(), size_t{64} << 20);
  EXPECT_EQ(got.stack_of(100, {0x2000}), -1);
  int64_t s5 = got.stack_of(100, {0x3000});
  ASSERT_GT(s5, 0);
  EXPECT_EQ(got.sites.at({100, s5}).live_bytes, 20);
  EXPECT_EQ(got.totals.at(100).live_bytes, 30);  // the block still counts, without a stack
}

TEST_F(AggregatorTest, FreeArrivingBeforeItsAllocFromAnotherThread) {
  start(1, 100);
  stack(1, 1, {0x1000});
  agg.free(1, 0xa000, 20 * kMs);          // thread B's buffer arrives first
  agg.alloc(1, 0xa000, 64, 1, 10 * kMs);  // thread A allocated it earlier
  agg.image_closed(1);
  report(1000);
  EXPECT_EQ(got.unfreed_blocks(100), 0);
  int64_t s = got.stack_of(100, {0x1000});
  ASSERT_GT(s, 0);
  EXPECT_EQ(got.sites.at({100, s}).free_blocks, 1);
  EXPECT_EQ(got.sites.at({100, s}).live_blocks, 0);
}

// A allocates p, B frees it, C gets the same address again: whatever order the three
// threads' buffers arrive in, p ends live with C's size and stack.
TEST_F(AggregatorTest, PointerReuseInEveryArrivalOrder) {
  struct Ev {
    int kind;  // 0 alloc, 1 free
    uint64_t size;
    uint32_t stack;
    uint64_t ts;
  };
  std::vector<Ev> events = {{0, 100, 1, 10 * kMs}, {1, 0, 0, 20 * kMs}, {0, 300, 2, 30 * kMs}};
  std::vector<int> order = {0, 1, 2};
  int pid = 200;
  do {
    HeapAggregator a;
    HeapImageInfo info;
    info.pid = pid;
    info.start_ticks = 5;
    a.image_started(1, info);
    uint64_t pa[] = {0xA}, pc[] = {0xC};
    a.stack_interned(1, 1, pa, 1);
    a.stack_interned(1, 2, pc, 1);
    for (int i : order) {
      const Ev& e = events[static_cast<size_t>(i)];
      if (e.kind == 0) a.alloc(1, 0x5000, e.size, e.stack, e.ts);
      else a.free(1, 0x5000, e.ts);
    }
    a.image_closed(1);
    Collected c;
    c.add(a.snapshot(1000));
    EXPECT_EQ(c.unfreed_blocks(pid), 1) << order[0] << order[1] << order[2];
    EXPECT_EQ(c.unfreed_bytes(pid), 300) << order[0] << order[1] << order[2];
    int64_t sc = c.stack_of(pid, {0xC});
    ASSERT_EQ(c.unfreed[pid].size(), 1u);
    EXPECT_EQ(c.unfreed[pid][0].stack_id, sc);
    int64_t sa = c.stack_of(pid, {0xA});
    EXPECT_EQ(c.sites.at({pid, sa}).free_blocks, 1);
    EXPECT_EQ(c.sites.at({pid, sa}).live_blocks, 0);
    EXPECT_EQ(c.totals.at(pid).live_bytes, 300);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST_F(AggregatorTest, ReuseWithTheOlderAllocArrivingLast) {
  // Same thread frees and reallocates (in order); the first alloc came from another thread
  // whose buffer is late.
  start(1, 100);
  stack(1, 1, {0x1});
  stack(1, 2, {0x2});
  agg.free(1, 0x700, 20 * kMs);
  agg.alloc(1, 0x700, 48, 2, 21 * kMs);
  agg.free(1, 0x700, 22 * kMs);
  agg.alloc(1, 0x700, 16, 2, 23 * kMs);
  agg.alloc(1, 0x700, 999, 1, 10 * kMs);  // the late one
  agg.image_closed(1);
  report(500);
  EXPECT_EQ(got.unfreed_blocks(100), 1);
  EXPECT_EQ(got.unfreed_bytes(100), 16);
}

TEST_F(AggregatorTest, OtherThreadsFreeArrivesBeforeTheAddressesEarlierLives) {
  // Python's thread start: the main thread reuses one address many times (alloc, free,
  // alloc, free ...), then allocates the new thread's start-up block there; the new thread
  // frees it first thing and exits, so its buffer reaches the collector before the main
  // thread's. Taking that free for the address's first alloc shifted every pairing by one
  // and left the last block live: one 16-byte "leak" per Python program that starts a thread.
  start(1, 100);
  stack(1, 1, {0x1});
  stack(1, 2, {0x2});
  agg.free(1, 0x900, 100 * kMs);  // the new thread's buffer
  for (uint64_t t = 10; t < 90; t += 20) {
    agg.alloc(1, 0x900, 16, 1, t * kMs);  // the main thread's, in order
    agg.free(1, 0x900, (t + 5) * kMs);
  }
  agg.alloc(1, 0x900, 16, 2, 95 * kMs);  // the start-up block
  agg.image_closed(1);
  report(1000);
  EXPECT_EQ(got.unfreed_blocks(100), 0);
  EXPECT_EQ(got.totals.at(100).live_bytes, 0);
  int64_t main_stack = got.stack_of(100, {0x1}), startup = got.stack_of(100, {0x2});
  EXPECT_EQ(got.sites.at({100, main_stack}).free_blocks, 4);
  EXPECT_EQ(got.sites.at({100, startup}).free_blocks, 1);
  EXPECT_EQ(got.sites.at({100, startup}).live_blocks, 0);
}

TEST_F(AggregatorTest, ExitReportsUnfreedBlocksPerStack) {
  start(1, 100);
  stack(1, 1, {0x10, 0x20});
  stack(1, 2, {0x11, 0x20});
  stack(1, 3, {0x10, 0x20});  // same pcs as 1 (another thread interned it): one stack
  agg.alloc(1, 0x1000, 10, 1, 1);
  agg.alloc(1, 0x2000, 20, 3, 2);
  agg.alloc(1, 0x3000, 40, 2, 3);
  agg.alloc(1, 0x4000, 80, 2, 4);
  agg.free(1, 0x3000, 5);
  agg.image_ending(1, HeapEndReason::kExit);
  agg.image_closed(1);
  report(100);
  ASSERT_EQ(got.unfreed[100].size(), 2u);
  EXPECT_EQ(got.unfreed_bytes(100), 110);
  EXPECT_EQ(got.unfreed_blocks(100), 3);
  for (const auto& u : got.unfreed[100]) {
    EXPECT_TRUE(u.at_exit);
    EXPECT_EQ(u.bytes, u.stack_id == got.stack_of(100, {0x10, 0x20}) ? 30 : 80);
  }
  // Nothing more is reported for an exited process once its end went out.
  HeapReport after = agg.snapshot(200);
  EXPECT_TRUE(after.processes.empty());
}

TEST_F(AggregatorTest, ForkChildStartsWithTheParentsBlocks) {
  start(1, 100);
  stack(1, 1, {0x10});
  agg.alloc(1, 0xa0, 100, 1, 1);
  agg.alloc(1, 0xb0, 200, 1, 2);
  agg.fork_point(1, 7);
  agg.free(1, 0xa0, 3);  // the parent frees after the fork: the child still has it
  start(2, 101, 0, 1, 7);
  stack(2, 2, {0x30});
  agg.alloc(2, 0xc0, 5, 2, 4);
  agg.free(2, 0xb0, 5);  // the child frees an inherited block
  agg.image_closed(2);
  report(100);
  EXPECT_EQ(got.unfreed_blocks(101), 2);      // 0xa0 (inherited) and 0xc0
  EXPECT_EQ(got.unfreed_bytes(101), 105);
  int64_t inherited = got.stack_of(101, {0x10});
  ASSERT_GT(inherited, 0);
  EXPECT_EQ(got.sites.at({101, inherited}).free_blocks, 1);
  EXPECT_EQ(got.totals.at(100).live_bytes, 200);  // the parent keeps its own view
}

TEST_F(AggregatorTest, ExecDropsTheOldImagesBlocksWithoutCallingThemLeaks) {
  start(1, 100);
  stack(1, 1, {0x10});
  agg.alloc(1, 0xa0, 100, 1, 1);
  agg.image_ending(1, HeapEndReason::kExec);
  start(2, 100);  // same process, new image
  agg.image_closed(1);
  stack(2, 1, {0x99});
  agg.alloc(2, 0xa0, 7, 1, 10);
  agg.image_closed(2);
  report(100);
  EXPECT_EQ(got.unfreed_bytes(100), 7);
  EXPECT_EQ(got.unfreed_blocks(100), 1);
  int64_t old_stack = got.stack_of(100, {0x10});
  EXPECT_EQ(got.sites.at({100, old_stack}).live_blocks, 0);
  EXPECT_EQ(got.sites.at({100, old_stack}).free_blocks, 0);  // vanished, not freed
}

TEST_F(AggregatorTest, SampledModeScalesByInverseProbability) {
  const uint64_t interval = 1000;
  start(1, 100, interval);
  stack(1, 1, {0x10});
  agg.alloc(1, 0xa0, 100, 1, 1);   // p = 1 - e^-0.1
  agg.alloc(1, 0xb0, 5000, 1, 2);  // >= interval: always recorded, weight 1
  report(10);
  int64_t s = got.stack_of(100, {0x10});
  double w = 1.0 / (1.0 - std::exp(-0.1));
  EXPECT_EQ(got.sites.at({100, s}).live_bytes, std::llround(100 * w + 5000));
  EXPECT_EQ(got.sites.at({100, s}).live_blocks, std::llround(w + 1));
  EXPECT_EQ(got.processes.at(100).mode, "sampled");
  EXPECT_EQ(got.processes.at(100).sample_interval, 1000);
  agg.free(1, 0xa0, 3);
  report(20);
  EXPECT_EQ(got.sites.at({100, s}).live_bytes, 5000);
}

TEST_F(AggregatorTest, AnonymousMappingsSplitOnPartialUnmap) {
  start(1, 100);
  agg.mmap(1, 0x100000, 0x10000, 0, 1);
  agg.mmap(1, 0x200000, 0x4000, 0, 2);
  agg.munmap(1, 0x104000, 0x2000, 3);  // a hole in the middle
  report(10);
  EXPECT_EQ(got.totals.at(100).mmap_live_bytes, 0x10000 + 0x4000 - 0x2000);
  agg.munmap(1, 0x100000, 0x300000, 4);  // everything
  report(20);
  EXPECT_EQ(got.totals.at(100).mmap_live_bytes, 0);
  agg.mmap(1, 0x300000, 0x1000, 0, 5);
  agg.mmap(1, 0x300000, 0x1000, 0, 6);  // MAP_FIXED over it: replaced, not added
  report(30);
  EXPECT_EQ(got.totals.at(100).mmap_live_bytes, 0x1000);
}

TEST_F(AggregatorTest, StillRunningAtTheEndIsNotAtExit) {
  start(1, 100);
  stack(1, 1, {0x10});
  agg.alloc(1, 0xa0, 64, 1, 1);
  got.add(agg.finish(500));
  ASSERT_EQ(got.unfreed[100].size(), 1u);
  EXPECT_FALSE(got.unfreed[100][0].at_exit);
}

TEST_F(AggregatorTest, ShortLivedUsesTheTscRate) {
  agg.set_tsc_rate(3.0);  // 3 ticks per ns: 10 ms = 30,000,000 ticks
  HeapImageInfo info;
  info.pid = 100;
  info.start_ticks = 1;
  info.clock_is_tsc = true;
  agg.image_started(1, info);
  stack(1, 1, {0x10});
  agg.alloc(1, 0xa0, 8, 1, 1000);
  agg.free(1, 0xa0, 1000 + 20000000);  // 6.7 ms
  agg.alloc(1, 0xb0, 8, 1, 2000);
  agg.free(1, 0xb0, 2000 + 40000000);  // 13.3 ms
  report(10);
  EXPECT_EQ(got.sites.at({100, got.stack_of(100, {0x10})}).short_lived_blocks, 1);
}

TEST_F(AggregatorTest, StatusNoticesAndUntrackedProcesses) {
  start(1, 100);
  agg.status_changed(1, HeapImageStatus::kOwnMalloc, "x");
  agg.note_untracked({300, 9}, 1, "/bin/static", "not-interposed: static binary");
  report(10);
  EXPECT_EQ(got.processes.at(100).status, "not-interposed: program defines its own malloc");
  EXPECT_EQ(got.processes.at(300).status, "not-interposed: static binary");
  ASSERT_EQ(got.notices.size(), 2u);
  EXPECT_NE(got.notices[1].find("static binary"), std::string::npos);
}

TEST_F(AggregatorTest, ModulesAreReportedOnceAndPcsOutsideThemAskForMaps) {
  start(1, 100);
  HeapModuleInfo m;
  m.start = 0x1000;
  m.end = 0x2000;
  m.path = "/bin/prog";
  m.build_id = "abcd";
  agg.module_loaded(1, m);
  agg.module_loaded(1, m);
  stack(1, 1, {0x1500});
  HeapReport r = agg.snapshot(10);
  ASSERT_EQ(r.processes.size(), 1u);
  EXPECT_EQ(r.processes[0].modules.size(), 1u);
  EXPECT_FALSE(r.processes[0].wants_maps);
  stack(1, 2, {0x1500, 0x9000});
  r = agg.snapshot(20);
  EXPECT_TRUE(r.processes[0].modules.empty());
  EXPECT_TRUE(r.processes[0].wants_maps);
}

}  // namespace
}  // namespace leakscope::collect
