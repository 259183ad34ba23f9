// Tests of segmentation and of the per-series verdict on shapes whose truth is known by
// construction (a small deterministic generator with LCG noise, independent of the
// benchmark's), including the cases whole-window trend rules get wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>

#include "analyze/segmentation.h"
#include "analyze/series_verdict.h"

namespace leakscope::analyze {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// n points every dt seconds of f(t) plus AR(1) noise of marginal sd `sd`.
Series shape(size_t n, double dt, double sd, const std::function<double(double)>& f,
             uint64_t seed = 1, SeriesKind kind = SeriesKind::kBytes) {
  Series s;
  s.name = kind == SeriesKind::kBytes ? "anon" : "fds";
  s.source = "test";
  s.kind = kind;
  uint64_t st = seed;
  double noise = 0;
  for (size_t i = 0; i < n; ++i) {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = static_cast<double>(st >> 11) / 9007199254740992.0 - 0.5;
    noise = 0.8 * noise + u * sd * 2.08;  // 0.6 * sqrt(12): marginal sd ~ sd
    double t = static_cast<double>(i) * dt;
    s.t.push_back(t);
    s.v.push_back(kind == SeriesKind::kBytes ? f(t) + noise : std::round(f(t)));
  }
  return s;
}

TEST(Segmentation, FindsASingleStep) {
  std::vector<double> t, y;
  for (int i = 0; i < 100; ++i) {
    t.push_back(i);
    y.push_back((i >= 60 ? 50.0 : 0.0) + ((i * 37) % 7 - 3) * 0.1);
  }
  SegmentationParams p;
  p.min_bins = 10;
  p.material_delta = 1;
  Regimes r = find_final_regime(t, y, p);
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_NEAR(static_cast<double>(r.breaks[0].index), 60, 1);
  EXPECT_NEAR(r.breaks[0].jump, 50, 2);
  EXPECT_EQ(r.final_begin, r.breaks[0].index);
}

TEST(Segmentation, NoBreakInALineWithNoise) {
  Series s = shape(200, 1, 0.5, [](double t) { return 0.2 * t; });
  SegmentationParams p;
  p.min_bins = 20;
  p.material_delta = 1;
  Regimes r = find_final_regime(s.t, s.v, p);
  EXPECT_TRUE(r.breaks.empty());
  EXPECT_FALSE(r.transient.present);
}

TEST(Segmentation, TransientFitRecoversTimeConstantAndSlope) {
  Series s = shape(400, 1, 0.05, [](double t) { return 100 - 80 * std::exp(-t / 50) + 0.05 * t; });
  SegmentationParams p;
  p.material_delta = 1;
  TransientFit f = fit_transient(s.t, s.v, 0, s.size(), p);
  ASSERT_TRUE(f.present);
  EXPECT_NEAR(f.tau, 50, 5);
  EXPECT_NEAR(f.c, -80, 4);
  EXPECT_NEAR(f.b, 0.05, 0.005);
  EXPECT_LT(f.b_ci_lo, 0.05);
  EXPECT_GT(f.b_ci_hi, 0.05);
}

SeriesResult judge(const Series& s) { return evaluate_series(s, SeriesParams{}); }

TEST(SeriesVerdict, WarmupThenFlatIsBoundedNotALeak) {
  // 4 h at 5 s, +300 MiB warm-up with a 10 min time constant: whole-window OLS calls this
  // a leak; the final regime is flat.
  Series s = shape(2881, 5, 1 * kMiB,
                   [](double t) { return 200 * kMiB + 300 * kMiB * (1 - std::exp(-t / 600)); });
  SeriesResult r = judge(s);
  EXPECT_EQ(r.state, State::kBounded) << r.reason;
  EXPECT_FALSE(std::isnan(r.warmup_end));
  EXPECT_LT(r.warmup_end, 3600);
}

TEST(SeriesVerdict, WarmupPlusSlowLeakIsFoundWithItsRate) {
  const double leak = 10 * kMiB / 3600;  // 2%/h of 500 MiB
  Series s = shape(2881, 5, 1 * kMiB, [&](double t) {
    return 200 * kMiB + 300 * kMiB * (1 - std::exp(-t / 600)) + leak * t;
  });
  SeriesResult r = judge(s);
  ASSERT_EQ(r.state, State::kSustainedGrowth) << r.reason;
  EXPECT_NEAR(r.rate, leak, 0.1 * leak);
  EXPECT_LE(r.ci_lo, leak);
  EXPECT_GE(r.ci_hi, leak);
  EXPECT_LT(r.p, 1e-3);
}

TEST(SeriesVerdict, SingleStepIsBounded) {
  Series s = shape(2000, 5, 0.5 * kMiB,
                   [](double t) { return 300 * kMiB + (t > 4000 ? 60 * kMiB : 0); });
  SeriesResult r = judge(s);
  EXPECT_EQ(r.state, State::kBounded) << r.reason;
  ASSERT_EQ(r.break_times.size(), 1u);
  EXPECT_NEAR(r.break_times[0], 4000, 200);
}

TEST(SeriesVerdict, LeakThatStoppedIsStoppedGrowing) {
  Series s = shape(2000, 5, 0.5 * kMiB,
                   [](double t) { return 300 * kMiB + 20 * kMiB / 3600 * std::min(t, 5000.0); });
  SeriesResult r = judge(s);
  EXPECT_EQ(r.state, State::kStoppedGrowing) << r.reason;
  EXPECT_NEAR(r.window_t0, 5000, 300);
}

TEST(SeriesVerdict, GcSawtoothUsesTheLowerEnvelope) {
  auto saw = [](double t) { return 300 * kMiB + 40 * kMiB * std::fmod(t, 300) / 300; };
  SeriesResult flat = judge(shape(2881, 5, 0.2 * kMiB, saw));
  EXPECT_TRUE(flat.envelope);
  EXPECT_NE(flat.state, State::kSustainedGrowth) << flat.reason;
  const double leak = 15 * kMiB / 3600;
  SeriesResult leaking = judge(shape(2881, 5, 0.2 * kMiB, [&](double t) { return saw(t) + leak * t; }));
  EXPECT_TRUE(leaking.envelope);
  ASSERT_EQ(leaking.state, State::kSustainedGrowth) << leaking.reason;
  EXPECT_NEAR(leaking.rate, leak, 0.1 * leak);
}

TEST(SeriesVerdict, FdStaircaseIsALeak) {
  Series s = shape(1440, 5, 0, [](double t) { return 12 + std::floor(t / 240); }, 3,
                   SeriesKind::kCount);
  SeriesResult r = judge(s);
  ASSERT_EQ(r.state, State::kSustainedGrowth) << r.reason;
  EXPECT_NEAR(r.rate * 3600, 15, 2);
}

TEST(SeriesVerdict, FlatNoiseIsNoGrowth) {
  Series s = shape(2000, 5, 2 * kMiB, [](double) { return 300 * kMiB; }, 11);
  SeriesResult r = judge(s);
  EXPECT_EQ(r.state, State::kNoGrowth) << r.reason;
}

TEST(SeriesVerdict, TooFewSamplesIsSettling) {
  Series s = shape(8, 1, 0, [](double t) { return 1e6 + 1e5 * t; });
  SeriesResult r = judge(s);
  EXPECT_EQ(r.state, State::kSettling);
  EXPECT_GT(r.need_more_s, 0);
}

TEST(SeriesVerdict, StepInTheLastMomentsIsNotYetALeak) {
  // Flat for 95% of the run, then +50 MiB: persistence keeps this from being an alarm.
  Series s = shape(2000, 5, 0.3 * kMiB,
                   [](double t) { return 300 * kMiB + (t > 9500 ? 50 * kMiB : 0); });
  SeriesResult r = judge(s);
  EXPECT_NE(r.state, State::kSustainedGrowth) << r.reason;
}

TEST(SeriesVerdict, EvaluatingEarlierUsesOnlyEarlierData) {
  Series s = shape(2000, 5, 0.3 * kMiB,
                   [](double t) { return 300 * kMiB + (t > 5000 ? 30 * kMiB / 3600 * (t - 5000) : 0); });
  EXPECT_NE(judge(truncate_series(s, 4900)).state, State::kSustainedGrowth);
  EXPECT_EQ(judge(s).state, State::kSustainedGrowth);
}

}  // namespace
}  // namespace leakscope::analyze
