// End-to-end: the per-stack counters a real program produces under `run --heap` — the
// three sites of heap_leak_ranking (a steady leak, a one-time startup block ten times
// larger than everything the leak loses, a balanced churn site allocating a thousand times
// more) have exactly the counts the program says it made, over heap ticks; in sampled mode
// the estimates come within a few percent of the truth.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "e2e_util.h"
#include "store/capture_reader.h"
#include "store/heap_reader.h"

namespace leakscope::e2e {
namespace {

struct Truth {
  int64_t leaks = 0, startup = 0, churn_blocks = 0;
};

Truth parse_truth(const std::string& out) {
  std::smatch m;
  Truth t;
  if (std::regex_search(out, m, std::regex(R"(leaks=(\d+) startup=(\d+) churn_blocks=(\d+))"))) {
    t.leaks = std::stoll(m[1]);
    t.startup = std::stoll(m[2]);
    t.churn_blocks = std::stoll(m[3]);
  }
  return t;
}

struct Recorded {
  Truth truth;
  std::map<int64_t, store::HeapSiteSample> last;          // stack -> last sample
  std::map<int64_t, std::vector<store::HeapSiteSample>> series;
  std::map<int64_t, store::HeapUnfreed> unfreed;
  std::vector<store::HeapTotal> totals;
  store::HeapProcess process;
};

Recorded record(const std::string& mode, const std::string& seconds, const TempDir& tmp) {
  Recorded r;
  std::string cap = tmp.path("cap.db");
  auto run = run_command({leakscope_bin(), "run", "-q", mode, "-o", cap, "--",
                          program("heap_leak_ranking"), seconds}, "", 120);
  EXPECT_EQ(run.exit_code(), 0) << run.err;
  r.truth = parse_truth(run.out);
  auto reader = store::CaptureReader::open(cap);
  EXPECT_TRUE(reader.is_ok()) << reader.status().message();
  if (!reader.is_ok()) return r;
  auto heap = store::read_heap_data(*reader);
  EXPECT_TRUE(heap.is_ok());
  if (!heap.is_ok() || heap->processes.size() != 1) {
    ADD_FAILURE() << "expected one tracked process";
    return r;
  }
  r.process = heap->processes[0];
  auto sites = store::read_heap_site_samples(*reader, r.process.process_id);
  EXPECT_TRUE(sites.is_ok());
  for (const auto& s : *sites) {
    r.last[s.stack_id] = s;
    r.series[s.stack_id].push_back(s);
  }
  for (const auto& u : heap->unfreed) r.unfreed[u.stack_id] = u;
  auto totals = store::read_heap_totals(*reader, r.process.process_id);
  EXPECT_TRUE(totals.is_ok());
  r.totals = *totals;
  return r;
}

TEST(HeapCounters, LeakStartupAndChurnSitesAreExact) {
  TempDir tmp;
  Recorded r = record("--heap", "2", tmp);
  ASSERT_GT(r.truth.leaks, 0);
  int64_t leak_stack = -1, startup_stack = -1, churn_stack = -1;
  for (const auto& [stack, u] : r.unfreed) {
    if (u.blocks == r.truth.leaks && u.bytes == r.truth.leaks * 1024) leak_stack = stack;
    if (u.blocks == 1 && u.bytes == r.truth.startup) startup_stack = stack;
  }
  for (const auto& [stack, s] : r.last)
    if (s.alloc_blocks == r.truth.churn_blocks && s.alloc_bytes == r.truth.churn_blocks * 4096)
      churn_stack = stack;
  ASSERT_GE(leak_stack, 0) << "no stack leaked " << r.truth.leaks << " x 1 KiB";
  ASSERT_GE(startup_stack, 0) << "no stack holds the startup block";
  ASSERT_GE(churn_stack, 0) << "no stack allocated " << r.truth.churn_blocks << " x 4 KiB";
  const auto& churn = r.last[churn_stack];
  EXPECT_EQ(churn.free_blocks, r.truth.churn_blocks);
  EXPECT_EQ(churn.live_blocks, 0);
  EXPECT_EQ(r.unfreed.count(churn_stack), 0u);
  EXPECT_EQ(r.last[leak_stack].free_blocks, 0);
  // The churn site allocated 1000x the leak; the startup block is 10x it.
  EXPECT_EQ(churn.alloc_bytes, r.truth.leaks * 1024 * 1000);
  EXPECT_EQ(r.truth.startup, r.truth.leaks * 1024 * 10);
  // The leak grows tick after tick: one sample per heap tick while it changes.
  const auto& leak = r.series[leak_stack];
  ASSERT_GE(leak.size(), 2u);
  for (size_t i = 1; i < leak.size(); ++i) {
    EXPECT_GT(leak[i].t_ms, leak[i - 1].t_ms);
    EXPECT_GE(leak[i].live_bytes, leak[i - 1].live_bytes);
  }
  EXPECT_GT(leak.back().live_bytes, leak.front().live_bytes);
  // Churn blocks live about a microsecond: every one is short-lived.
  EXPECT_GE(churn.short_lived_blocks, churn.free_blocks * 99 / 100);
  // The process total holds both, plus the little the C library keeps (its stdout buffer).
  ASSERT_FALSE(r.totals.empty());
  int64_t others = r.totals.back().live_bytes - r.truth.leaks * 1024 - r.truth.startup;
  EXPECT_GE(others, 0);
  EXPECT_LT(others, 16 * 1024);
  EXPECT_EQ(r.process.mode, "full");
  EXPECT_EQ(r.process.lost_events, 0);
  EXPECT_GT(r.process.events, r.truth.churn_blocks * 2);
}

TEST(HeapCounters, SampledEstimatesAreClose) {
  TempDir tmp;
  // At 64 KiB a 4 KiB churn block is sampled with probability 1 - e^(-1/16), about 6%.
  Recorded r = record("--heap=sample:64k", "2", tmp);
  ASSERT_GT(r.truth.leaks, 0);
  EXPECT_EQ(r.process.mode, "sampled");
  EXPECT_EQ(r.process.sample_interval, 65536);
  ASSERT_FALSE(r.totals.empty());
  double truth_alloc = static_cast<double>(r.truth.churn_blocks * 4096 + r.truth.leaks * 1024 +
                                           r.truth.startup);
  double est = static_cast<double>(r.totals.back().alloc_bytes);
  EXPECT_NEAR(est, truth_alloc, 0.08 * truth_alloc);  // ~3.5 standard errors
  // Far fewer events than allocations: most are not sent at all.
  EXPECT_LT(r.process.events, r.truth.churn_blocks / 2);
  double truth_live = static_cast<double>(r.truth.leaks * 1024 + r.truth.startup);
  double live = static_cast<double>(r.totals.back().live_bytes);
  EXPECT_NEAR(live, truth_live, 0.20 * truth_live);  // the startup block is exact (> 64 KiB)
}

// heap_threads allocates ~2.2 MB in 20,000 blocks across six threads (one allocates, another
// frees). The threads share the process-wide count until a second one records, then count
// their own bytes; either way the estimate of what the program allocated stays unbiased.
TEST(HeapCounters, SampledEstimateOfAThreadedProgram) {
  auto allocated = [](const std::string& mode) -> double {
    TempDir tmp;
    std::string cap = tmp.path("cap.db");
    auto run = run_command({leakscope_bin(), "run", "-q", mode, "-o", cap, "--",
                            program("heap_threads")}, "", 120);
    EXPECT_EQ(run.exit_code(), 0) << run.err;
    auto reader = store::CaptureReader::open(cap);
    if (!reader.is_ok()) return -1;
    auto heap = store::read_heap_data(*reader);
    if (!heap.is_ok() || heap->processes.size() != 1) return -1;
    auto totals = store::read_heap_totals(*reader, heap->processes[0].process_id);
    if (!totals.is_ok() || totals->empty()) return -1;
    return static_cast<double>(totals->back().alloc_bytes);
  };
  double full = allocated("--heap");
  double sampled = allocated("--heap=sample:2k");
  ASSERT_GT(full, 2e6);
  // ~1,100 samples: a standard error of 3%; 12% is four of them.
  EXPECT_NEAR(sampled, full, 0.12 * full);
}

}  // namespace
}  // namespace leakscope::e2e
