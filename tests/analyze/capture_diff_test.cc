// Unit tests of run measurement and capture comparison on synthetic captures written with
// the real CaptureWriter (capture_shapes.h): each process selection measures the process it
// names, a warm-up hint and phase labels cut the series as documented, and `diff` matches
// processes across captures whose pids differ and judges known rate changes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>

#include "analyze/capture_diff.h"
#include "analyze/run_measure.h"
#include "capture_shapes.h"

namespace leakscope::analyze {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kPerMin = kMiB / 60;  // 1 MiB/min in bytes per second

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/capture_diff_" + name + "_" + std::to_string(::getpid()) + ".db";
}

// A root growing at `root_rate` and a worker at `worker_rate` (MiB/min), 120 s.
std::string write_pair(const std::string& name, double root_rate, double worker_rate, int32_t pid0,
                       unsigned seed) {
  testing::CaptureShape shape;
  shape.duration_s = 120;
  shape.seed = seed;
  testing::ShapeProcess root;
  root.pid = pid0;
  root.comm = "app";
  root.anon = [root_rate](double t) { return 50 * kMiB + root_rate * kPerMin * t; };
  testing::ShapeProcess worker;
  worker.pid = pid0 + 1;
  worker.parent_index = 0;
  worker.comm = "worker";
  worker.start_s = 1;
  worker.anon = [worker_rate](double t) { return 20 * kMiB + worker_rate * kPerMin * t; };
  shape.processes = {root, worker};
  std::string path = temp_path(name);
  ::unlink(path.c_str());
  std::string err = testing::write_capture_shape(path, shape);
  EXPECT_EQ(err, "");
  return path;
}

MeasureSpec role(ProcessRole r, const std::string& series = "anon") {
  MeasureSpec m;
  m.role = r;
  m.series = series;
  return m;
}

TEST(RunMeasure, EachSelectionMeasuresItsProcess) {
  std::string path = write_pair("select", 1, 2, 100, 1);
  auto root = measure_capture(path, role(ProcessRole::kRoot));
  ASSERT_TRUE(root.is_ok()) << root.status().message();
  ASSERT_TRUE(root->measured) << root->why_not;
  EXPECT_EQ(root->comm, "app");
  EXPECT_EQ(root->state, State::kSustainedGrowth);
  EXPECT_NEAR(root->rate, 1 * kPerMin, 0.05 * kPerMin);
  EXPECT_LT(root->ci_lo, root->rate);
  EXPECT_GT(root->ci_hi, root->rate);
  EXPECT_NEAR(root->recorded_s, 120, 0.5);

  MeasureSpec by_name;
  by_name.role = ProcessRole::kName;
  by_name.name = "worker";
  auto worker = measure_capture(path, by_name);
  ASSERT_TRUE(worker.is_ok() && worker->measured);
  EXPECT_EQ(worker->pid, 101);
  EXPECT_NEAR(worker->rate, 2 * kPerMin, 0.1 * kPerMin);
  EXPECT_EQ(measure_capture(path, role(ProcessRole::kLargest))->comm, "worker");
  MeasureSpec child = role(ProcessRole::kChild);
  child.child_index = 1;
  EXPECT_EQ(measure_capture(path, child)->pid, 101);
  child.child_index = 2;
  auto none = measure_capture(path, child);
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->measured);
  EXPECT_EQ(none->why_not, "no process matched child:2");
  by_name.name = "overlay";
  EXPECT_EQ(measure_capture(path, by_name)->why_not, "no process matched process 'overlay'");

  // The tree's private anonymous PSS grows by both.
  auto tree = measure_capture(path, role(ProcessRole::kTree));
  ASSERT_TRUE(tree.is_ok() && tree->measured) << tree->why_not;
  EXPECT_EQ(tree->process, "tree");
  EXPECT_NEAR(tree->rate, 3 * kPerMin, 0.2 * kPerMin);
  ::unlink(path.c_str());
}

TEST(RunMeasure, LargestSkipsAHelperTooShortToJudge) {
  testing::CaptureShape shape;
  shape.duration_s = 120;
  testing::ShapeProcess root;
  root.pid = 10;
  root.comm = "app";
  root.anon = [](double) { return 40 * kMiB; };
  testing::ShapeProcess helper;
  helper.pid = 11;
  helper.parent_index = 0;
  helper.comm = "helper";
  helper.start_s = 50;
  helper.end_s = 50.6;  // six samples
  helper.anon = [](double t) { return 4 * kMiB + (t - 50) * 8 * kMiB; };
  shape.processes = {root, helper};
  std::string path = temp_path("largest");
  ::unlink(path.c_str());
  ASSERT_EQ(testing::write_capture_shape(path, shape), "");
  MeasureSpec by_name;
  by_name.role = ProcessRole::kName;
  by_name.name = "helper";
  auto h = measure_capture(path, by_name);
  ASSERT_TRUE(h.is_ok() && h->measured);
  ASSERT_EQ(h->state, State::kSettling) << h->reason;
  auto largest = measure_capture(path, role(ProcessRole::kLargest));
  ASSERT_TRUE(largest.is_ok() && largest->measured);
  EXPECT_EQ(largest->comm, "app");
  EXPECT_EQ(largest->matches, 2u);
  EXPECT_NE(largest->state, State::kSettling);
  ::unlink(path.c_str());
}

TEST(RunMeasure, WarmupHintAndPhases) {
  testing::CaptureShape shape;
  shape.duration_s = 120;
  testing::ShapeProcess p;
  p.pid = 10;
  p.comm = "svc";
  // Fast for 40 s (a cache filling, 60 MiB/min), then 20 MiB/min only while `active`
  // (10 s active, 10 s idle). Rates large against the capture's +-64 KiB noise: phase
  // growth is read from single interpolated readings at the boundaries.
  p.anon = [](double t) {
    double warm = std::min(t, 40.0) * 60 * kPerMin;
    double after = std::max(0.0, t - 40);
    double cycles = std::floor(after / 20), in_cycle = after - 20 * cycles;
    double active_s = 10 * cycles + std::min(in_cycle, 10.0);
    return 30 * kMiB + warm + 20 * kPerMin * active_s;
  };
  shape.processes = {p};
  for (int c = 0; c < 4; ++c) {
    shape.marks.push_back({40000 + c * 20000, "active", "api", ""});
    shape.marks.push_back({50000 + c * 20000, "idle", "api", ""});
  }
  std::string path = temp_path("phases");
  ::unlink(path.c_str());
  ASSERT_EQ(testing::write_capture_shape(path, shape), "");
  MeasureSpec m = role(ProcessRole::kRoot);
  m.warmup_s = 40;
  auto cut = measure_capture(path, m);
  ASSERT_TRUE(cut.is_ok() && cut->measured) << cut->why_not;
  EXPECT_GE(cut->window_t0, 40);
  EXPECT_NEAR(cut->rate, 10 * kPerMin, 0.5 * kPerMin);  // 20 MiB/min half of the time
  m.phases = {"active"};
  auto active = measure_capture(path, m);
  ASSERT_TRUE(active.is_ok() && active->measured) << active->why_not;
  EXPECT_NEAR(active->rate, 20 * kPerMin, 1 * kPerMin);
  EXPECT_TRUE(std::isnan(active->ci_lo));
  m.phases = {"idle"};
  EXPECT_NEAR(measure_capture(path, m)->rate, 0, 1 * kPerMin);
  m.phases = {"shutdown"};
  EXPECT_EQ(measure_capture(path, m)->why_not, "no interval labelled shutdown was recorded");
  ::unlink(path.c_str());
}

TEST(CaptureDiff, MatchesProcessesAndJudgesChanges) {
  std::string base = write_pair("base", 1, 2, 100, 1);
  std::string cand = write_pair("cand", 3, 0, 500, 2);
  DiffOptions o;
  o.fail_if_worse_pct = 50;
  auto d = diff_captures(base, cand, o);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  ASSERT_EQ(d->processes.size(), 2u);
  const ProcessDiff& root = d->processes[0];
  EXPECT_EQ(root.key, "root");
  EXPECT_EQ(root.pid_before, 100);
  EXPECT_EQ(root.pid_after, 500);
  ASSERT_FALSE(root.series.empty());
  const RateChange& rc = root.series[0].change;
  EXPECT_EQ(root.series[0].series, "anon");
  EXPECT_NEAR(rc.before.rate, 1 * kPerMin, 0.05 * kPerMin);
  EXPECT_NEAR(rc.after.rate, 3 * kPerMin, 0.15 * kPerMin);
  EXPECT_TRUE(rc.significant);
  EXPECT_LT(rc.p, 1e-6);
  EXPECT_NEAR(rc.change_pct, 200, 20);
  EXPECT_TRUE(rc.worse);
  const ProcessDiff& worker = d->processes[1];
  EXPECT_EQ(worker.key, "worker #1");
  EXPECT_EQ(worker.pid_after, 501);
  const RateChange& wc = worker.series[0].change;
  EXPECT_TRUE(wc.significant);
  EXPECT_LT(wc.diff, 0);
  EXPECT_FALSE(wc.worse);
  EXPECT_TRUE(d->any_worse);
  EXPECT_FALSE(d->heap_compared);
  EXPECT_NE(d->heap_note.find("has no heap data"), std::string::npos);

  // A 200% rise is not worse than a 250% gate; the same rates are no change at all.
  o.fail_if_worse_pct = 250;
  EXPECT_FALSE(diff_captures(base, cand, o)->any_worse);
  // The same rates with other noise: a change of about nothing, which no gate calls worse.
  // (Whether it is "significant" is left to chance: at alpha 0.05, one pair in twenty is.)
  std::string same = write_pair("same", 1, 2, 900, 3);
  o.fail_if_worse_pct = 10;
  auto s = diff_captures(base, same, o);
  ASSERT_TRUE(s.is_ok());
  const RateChange& sc = s->processes[0].series[0].change;
  EXPECT_LT(std::fabs(sc.change_pct), 2) << sc.before.rate << " vs " << sc.after.rate;
  EXPECT_FALSE(s->any_worse);
  for (const auto& p : {base, cand, same}) ::unlink(p.c_str());
}

TEST(CaptureDiff, NewLeakIsWorseWhateverThePercentage) {
  RateChange c;
  c.before = {true, State::kNoGrowth, 0, -10, 10};
  c.after = {true, State::kSustainedGrowth, 1000, 900, 1100};
  judge_change(&c, 0.05, 1e9);
  EXPECT_TRUE(c.significant);
  EXPECT_TRUE(std::isnan(c.change_pct));
  EXPECT_TRUE(c.worse);
  // z = 100 / sqrt(2 * (100/1.96)^2) ~ 1.39: not significant, so not worse.
  c.before = {true, State::kSustainedGrowth, 1000, 900, 1100};
  c.after = {true, State::kSustainedGrowth, 1100, 1000, 1200};
  judge_change(&c, 0.05, 1);
  EXPECT_NEAR(c.p, 0.1654, 0.001);
  EXPECT_FALSE(c.worse);
}

}  // namespace
}  // namespace leakscope::analyze
