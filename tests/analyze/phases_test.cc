// Unit tests of the helpers around the verdict: phase intervals and per-label growth and
// CPU, busy/idle split, sawtooth detection and binning, the tree's dense PSS, and the
// windowed trend used for residence — each against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "analyze/phases.h"
#include "analyze/series.h"
#include "analyze/series_extract.h"

namespace leakscope::analyze {
namespace {

Series line(double t0, double t1, double dt, double (*f)(double)) {
  Series s;
  s.name = "anon";
  for (double t = t0; t <= t1 + 1e-9; t += dt) {
    s.t.push_back(t);
    s.v.push_back(f(t));
  }
  return s;
}

TEST(Phases, IntervalsRunFromMarkToMark) {
  std::vector<store::Mark> marks = {
      {1000, "active", "stdout", ""}, {3000, "idle", "stdout", ""}, {4000, "active", "stdout", ""},
      {6000, "idle", "stdout", ""}};
  PhaseIntervals iv = phase_intervals(marks, 7.0);
  ASSERT_EQ(iv.labels.size(), 4u);
  EXPECT_EQ(iv.order, (std::vector<std::string>{"active", "idle"}));
  EXPECT_DOUBLE_EQ(iv.t0[0], 1);
  EXPECT_DOUBLE_EQ(iv.t1[0], 3);
  EXPECT_DOUBLE_EQ(iv.t1[3], 7);  // the last one ends at the evaluation time
  EXPECT_DOUBLE_EQ(phase_cycle_s(iv), 3);
  EXPECT_DOUBLE_EQ(phase_cycle_s(phase_intervals({{0, "once", "cli", ""}}, 5)), 0);
}

TEST(Phases, GrowthAndCpuPerLabel) {
  // Grows 2/s while active ([1,3) and [4,6)), flat otherwise.
  Series s = line(0, 7, 0.1, [](double t) {
    auto active = [](double a, double b, double x) { return std::clamp(x, a, b) - a; };
    return 100 + 2 * (active(1, 3, t) + active(4, 6, t));
  });
  std::vector<store::Mark> marks = {
      {1000, "active", "", ""}, {3000, "idle", "", ""}, {4000, "active", "", ""}, {6000, "idle", "", ""}};
  PhaseIntervals iv = phase_intervals(marks, 7.0);
  auto g = growth_by_label(s, iv);
  EXPECT_NEAR(g["active"], 8, 1e-6);
  EXPECT_NEAR(g["idle"], 0, 1e-6);
  // CPU: 900 ms per second while active, 0 otherwise.
  std::vector<int64_t> t_ms, cpu;
  int64_t c = 0;
  for (int64_t ms = 0; ms <= 7000; ms += 100) {
    t_ms.push_back(ms);
    cpu.push_back(c);
    bool active = (ms >= 1000 && ms < 3000) || (ms >= 4000 && ms < 6000);
    c += active ? 90 : 0;
  }
  auto cpu_s = cpu_by_label(t_ms, cpu, iv);
  EXPECT_NEAR(cpu_s["active"], 3.6, 0.01);
  EXPECT_NEAR(cpu_s["idle"], 0, 0.01);
}

TEST(Phases, BusyIdleSplitWithoutMarks) {
  // Busy (50% CPU) and growing 1 MiB/s in the first 5 s of every 10 s, idle and flat after.
  Series s;
  std::vector<int64_t> t_ms, cpu;
  double v = 0;
  int64_t c = 0;
  for (int64_t ms = 0; ms <= 200000; ms += 100) {
    bool busy = (ms / 5000) % 2 == 0;
    s.t.push_back(static_cast<double>(ms) / 1000);
    s.v.push_back(v);
    t_ms.push_back(ms);
    cpu.push_back(c);
    if (busy) {
      v += 0.1 * 1048576;
      c += 50;
    }
  }
  BusyIdleSplit b = busy_idle_split(s, t_ms, cpu);
  ASSERT_TRUE(b.available);
  EXPECT_NEAR(b.busy_fraction, 0.5, 0.05);
  EXPECT_NEAR(b.busy_rate, 1048576, 0.1 * 1048576);
  EXPECT_NEAR(b.idle_rate, 0, 0.1 * 1048576);
  EXPECT_NEAR(b.busy_cpu_pct, 50, 5);
}

TEST(SeriesHelpers, SawtoothDropsAndTroughs) {
  // Ramps of +1 per tick for 20 ticks, then a fall to the base: drops every 21 s.
  Series s;
  for (int i = 0; i < 420; ++i) {
    s.t.push_back(i);
    s.v.push_back(1000 + (i % 21) * 10.0);
  }
  Sawtooth st = detect_sawtooth(s, 50);
  ASSERT_TRUE(st.detected);
  EXPECT_EQ(st.drops, 19);
  EXPECT_NEAR(st.period_s, 21, 1e-9);
  EXPECT_NEAR(st.median_drop, 200, 1e-9);
  for (double v : st.trough_v) EXPECT_DOUBLE_EQ(v, 1000);
  // A smooth random-walk-like decline is not a sawtooth.
  Series walk = line(0, 400, 1, [](double t) { return 1000 - 0.5 * t; });
  EXPECT_FALSE(detect_sawtooth(walk, 50).detected);
}

TEST(SeriesHelpers, BinsAndTruncation) {
  Series s = line(0, 9, 1, [](double t) { return t * t; });
  Bins b = bin_series(s, 2);
  ASSERT_EQ(b.size(), 5u);
  EXPECT_DOUBLE_EQ(b.t[0], 0.5);
  EXPECT_DOUBLE_EQ(b.med[0], 0.5);  // median of {0, 1}
  EXPECT_DOUBLE_EQ(b.min[4], 64);
  Series cut = truncate_series(s, 4.5);
  EXPECT_EQ(cut.size(), 5u);
  double slope, lo, hi;
  Series lin = line(0, 100, 1, [](double t) { return 3 * t + 7; });
  ASSERT_TRUE(window_trend(lin, 10, 50, &slope, &lo, &hi));
  EXPECT_DOUBLE_EQ(slope, 3);
  EXPECT_FALSE(window_trend(lin, 10, 12, &slope, &lo, &hi));
}

TEST(SeriesExtract, TreePssIsDenseAndCountsSharedPagesOnce) {
  // Two processes with 10 MiB RSS each, 4 MiB of it shared (PSS 8 MiB each); one grows its
  // RSS by 1 MiB/s between PSS readings, which are taken every 5 s.
  auto make = [](double growth, store::SampleColumns* s, store::DetailColumns* d) {
    for (int64_t ms = 0; ms <= 10000; ms += 100) {
      int64_t rss = (10 << 20) + static_cast<int64_t>(growth * static_cast<double>(ms) / 1000);
      s->t_ms.push_back(ms);
      for (auto* c : {&s->rss, &s->rss_anon}) c->push_back(rss);
      for (auto* c : {&s->rss_file, &s->rss_shmem, &s->vm_data, &s->vm_swap, &s->threads, &s->fds,
                      &s->cpu_ms})
        c->push_back(0);
      if (ms % 5000 == 0) {
        d->t_ms.push_back(ms);
        for (auto* c : {&d->pss, &d->pss_anon}) c->push_back(rss - (2 << 20));
        for (auto* c : {&d->pss_file, &d->pss_shmem, &d->private_dirty, &d->swap_pss}) c->push_back(0);
      }
    }
  };
  store::SampleColumns s1, s2;
  store::DetailColumns d1, d2;
  make(1048576, &s1, &d1);
  make(0, &s2, &d2);
  TreeAccumulator acc(10, 0.5);
  acc.add(s1, d1, -1);
  acc.add(s2, d2, -1);
  ASSERT_TRUE(acc.has_pss());
  std::vector<Series> tree = acc.series();
  ASSERT_EQ(tree[0].name, "pss");
  // At 2.5 s: (10 + 2.5 - 2) + (10 - 2) MiB, between two PSS readings.
  size_t k = 5;
  EXPECT_DOUBLE_EQ(tree[0].t[k], 2.5);
  EXPECT_NEAR(tree[0].v[k], 18.5 * 1048576, 4096);
}

}  // namespace
}  // namespace leakscope::analyze
