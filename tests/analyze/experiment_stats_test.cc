// Unit tests of the experiment statistics: t quantiles against published tables, the
// per-variant summary (between-repeat error floored by within-run error), Welch
// contrasts, prediction classes, isolated/combined effects with their interaction, and the
// two refusals (baseline not reproduced, spread larger than the effect).
#include <gtest/gtest.h>

#include <cmath>

#include "analyze/experiment_stats.h"
#include "analyze/rate_spec.h"

namespace leakscope::analyze {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Runs at the given rates, each with a 95% interval of +-half.
std::vector<RunRate> runs(const std::vector<double>& rates, double half = 0) {
  std::vector<RunRate> out;
  for (double r : rates) out.push_back({r, r - half, r + half});
  return out;
}

TEST(ExperimentStats, TQuantileMatchesTables) {
  // Student t, two-sided 95% (0.975 quantile) and 99%, from standard tables.
  EXPECT_NEAR(t_quantile(0.95, 1), 12.7062, 1e-3);
  EXPECT_NEAR(t_quantile(0.95, 2), 4.3027, 1e-3);
  EXPECT_NEAR(t_quantile(0.95, 10), 2.2281, 1e-3);
  EXPECT_NEAR(t_quantile(0.95, 30), 2.0423, 1e-3);
  EXPECT_NEAR(t_quantile(0.99, 3), 5.8409, 1e-3);
  EXPECT_NEAR(t_quantile(0.95, INFINITY), 1.95996, 1e-4);
  // Fractional degrees of freedom lie between their neighbours.
  double t45 = t_quantile(0.95, 4.5);
  EXPECT_LT(t45, t_quantile(0.95, 4));
  EXPECT_GT(t45, t_quantile(0.95, 5));
}

TEST(ExperimentStats, SummaryUsesTheRepeatSpread) {
  VariantSummary s = summarize_runs(runs({1, 2, 3}, 0.01));
  EXPECT_EQ(s.n, 3u);
  EXPECT_DOUBLE_EQ(s.median, 2);
  EXPECT_DOUBLE_EQ(s.mean, 2);
  EXPECT_DOUBLE_EQ(s.sd, 1);
  EXPECT_DOUBLE_EQ(s.spread, 2);
  EXPECT_FALSE(s.within_floor);
  EXPECT_DOUBLE_EQ(s.df, 2);
  EXPECT_NEAR(s.se, 1 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(s.ci_lo, 2 - 4.3027 / std::sqrt(3.0), 1e-3);
  EXPECT_NEAR(s.ci_hi, 2 + 4.3027 / std::sqrt(3.0), 1e-3);
}

TEST(ExperimentStats, IdenticalRepeatsAreStillAsUncertainAsOneRun) {
  // Each run's 95% interval is +-1.96 (a standard error of 1): three equal rates do not
  // make the mean exact.
  VariantSummary s = summarize_runs(runs({5, 5, 5}, 1.959964));
  EXPECT_TRUE(s.within_floor);
  EXPECT_TRUE(std::isinf(s.df));
  EXPECT_NEAR(s.se, 1 / std::sqrt(3.0), 1e-6);
  EXPECT_NEAR(s.ci_hi - s.mean, 1.959964 / std::sqrt(3.0), 1e-5);
  EXPECT_DOUBLE_EQ(s.spread, 0);
}

TEST(ExperimentStats, OneRunUsesItsOwnInterval) {
  VariantSummary s = summarize_runs({{10, 8, 12}});
  EXPECT_EQ(s.n, 1u);
  EXPECT_DOUBLE_EQ(s.spread, 4);
  EXPECT_NEAR(s.ci_lo, 8, 1e-6);
  EXPECT_NEAR(s.ci_hi, 12, 1e-6);
  EXPECT_TRUE(std::isnan(summarize_runs({}).mean));
}

TEST(ExperimentStats, ContrastHasWelchDegreesOfFreedom) {
  VariantSummary a = summarize_runs(runs({10, 12, 14}));     // var of mean 4/3, df 2
  VariantSummary b = summarize_runs(runs({1, 2, 3, 4, 5}));  // var of mean 2.5/5, df 4
  Contrast d = linear_contrast({{1, &a}, {-1, &b}});
  EXPECT_DOUBLE_EQ(d.estimate, 9);
  double va = 4.0 / 3, vb = 0.5;
  EXPECT_NEAR(d.se, std::sqrt(va + vb), 1e-12);
  double df = (va + vb) * (va + vb) / (va * va / 2 + vb * vb / 4);
  EXPECT_NEAR(d.df, df, 1e-9);
  EXPECT_NEAR(d.ci_hi - d.estimate, t_quantile(0.95, df) * d.se, 1e-9);
  EXPECT_TRUE(d.significant);
  // Terms of the same variant are one mean: +a - a is exactly nothing.
  Contrast zero = linear_contrast({{1, &a}, {-1, &a}, {1, &b}});
  EXPECT_DOUBLE_EQ(zero.estimate, b.mean);
  EXPECT_NEAR(zero.se, b.se, 1e-12);
}

TEST(ExperimentStats, PredictionClasses) {
  VariantSummary m = summarize_runs(runs({100, 100}, 5));
  EXPECT_EQ(check_prediction(95, m, 400).cls, PredictionClass::kMatches);
  EXPECT_TRUE(check_prediction(97, m, 400).inside_ci);
  EXPECT_EQ(check_prediction(140, m, 400).cls, PredictionClass::kRoughly);
  EXPECT_FALSE(check_prediction(140, m, 400).inside_ci);
  EXPECT_EQ(check_prediction(250, m, 400).cls, PredictionClass::kModelWrong);
  EXPECT_NEAR(check_prediction(250, m, 400).rel_error, 0.6, 1e-12);
  // "It stops leaking": 100 left of a 400 problem is 25% off, relative to the control.
  PredictionCheck zero = check_prediction(0, m, 400);
  EXPECT_TRUE(zero.relative_to_control);
  EXPECT_EQ(zero.cls, PredictionClass::kRoughly);
  EXPECT_STREQ(prediction_class_label(PredictionClass::kMatches), "matches (within 10%)");
  EXPECT_STREQ(prediction_class_label(PredictionClass::kModelWrong), "model wrong (off by more)");
}

// The end-to-end design: A leaks 2, B 1, C 0.5 MiB/s and A with B together 1 more.
ExperimentInput three_sources(double noise, std::optional<double> baseline) {
  ExperimentInput in;
  auto jitter = [&](double r) {
    return std::vector<double>{r * kMiB, (r + noise) * kMiB, (r - noise) * kMiB};
  };
  in.variants.push_back({"control", true, std::nullopt, {}, runs(jitter(4.5), 0.02 * kMiB)});
  in.variants.push_back({"fix-a", false, 1.5 * kMiB, {}, runs(jitter(1.5), 0.02 * kMiB)});
  in.variants.push_back({"fix-b", false, 3.3 * kMiB, {}, runs(jitter(2.5), 0.02 * kMiB)});
  in.variants.push_back(
      {"fix-ab", false, 1.5 * kMiB, {"fix-a", "fix-b"}, runs(jitter(0.5), 0.02 * kMiB)});
  in.baseline = baseline;
  return in;
}

TEST(ExperimentStats, EffectsAndOverlapOfATwoPartFix) {
  ExperimentAnalysis a = analyze_experiment(three_sources(0.05, 4.4 * kMiB), "anon");
  ASSERT_FALSE(a.refused) << a.refusal;
  EXPECT_NE(a.baseline_text.find("within 10%"), std::string::npos) << a.baseline_text;
  ASSERT_EQ(a.variants.size(), 4u);
  const VariantResult& fa = a.variants[1];
  EXPECT_TRUE(fa.refusal.empty()) << fa.refusal;
  EXPECT_NEAR(fa.change.estimate, -3 * kMiB, 1);
  EXPECT_NEAR(fa.change_pct, -66.67, 0.01);
  EXPECT_TRUE(fa.change.significant);
  ASSERT_TRUE(fa.prediction);
  EXPECT_EQ(fa.prediction->cls, PredictionClass::kMatches);
  EXPECT_EQ(a.variants[2].prediction->cls, PredictionClass::kRoughly);     // 2.5 vs 3.3
  EXPECT_EQ(a.variants[3].prediction->cls, PredictionClass::kModelWrong);  // 0.5 vs 1.5
  ASSERT_EQ(a.combinations.size(), 1u);
  const CombinationResult& c = a.combinations[0];
  ASSERT_EQ(c.isolated.size(), 2u);
  EXPECT_NEAR(c.isolated[0].effect.estimate, 3 * kMiB, 1);
  EXPECT_NEAR(c.isolated[1].effect.estimate, 2 * kMiB, 1);
  EXPECT_NEAR(c.combined.estimate, 4 * kMiB, 1);
  EXPECT_NEAR(c.sum_isolated, 5 * kMiB, 1);
  EXPECT_NEAR(c.interaction.estimate, -1 * kMiB, 1);
  EXPECT_TRUE(c.interaction.significant);
  EXPECT_LT(c.interaction.ci_hi, 0);
  EXPECT_EQ(c.interaction_text.rfind("the parts overlap", 0), 0u) << c.interaction_text;
}

TEST(ExperimentStats, AdditiveAndSynergisticParts) {
  ExperimentInput in = three_sources(0.05, std::nullopt);
  // Additive: the combination removes 3 + 2 of 4.5.
  in.variants[3].runs = runs({-0.5 * kMiB, -0.45 * kMiB, -0.55 * kMiB}, 0.02 * kMiB);
  ExperimentAnalysis add = analyze_experiment(in, "anon");
  ASSERT_EQ(add.combinations.size(), 1u);
  EXPECT_NEAR(add.combinations[0].interaction.estimate, 0, 1);
  EXPECT_EQ(add.combinations[0].interaction_text.rfind("no detectable interaction", 0), 0u);
  in.variants[3].runs = runs({-2 * kMiB, -1.95 * kMiB, -2.05 * kMiB}, 0.02 * kMiB);
  ExperimentAnalysis syn = analyze_experiment(in, "anon");
  EXPECT_NEAR(syn.combinations[0].interaction.estimate, 1.5 * kMiB, 1);
  EXPECT_EQ(syn.combinations[0].interaction_text.rfind("the parts reinforce", 0), 0u);
}

TEST(ExperimentStats, RefusesWhenTheControlMissesTheBaseline) {
  ExperimentAnalysis a = analyze_experiment(three_sources(0.05, 3.0 * kMiB), "anon");
  EXPECT_TRUE(a.refused);
  EXPECT_EQ(a.refusal,
            "the control measured 270 MiB/min against the baseline 180 MiB/min (off by 50%), "
            "more than 10%: the experiment does not reproduce the problem it is meant to fix, "
            "so no effect measured in it can be trusted");
  // 9% off is still a reproduction.
  EXPECT_FALSE(analyze_experiment(three_sources(0.05, 4.95 * kMiB), "anon").refused);
}

TEST(ExperimentStats, RefusesAnEffectSmallerThanTheSpread) {
  ExperimentInput in = three_sources(0.05, std::nullopt);
  in.variants[1].runs = runs({4.3 * kMiB, 4.9 * kMiB, 4.2 * kMiB}, 0.02 * kMiB);
  ExperimentAnalysis a = analyze_experiment(in, "anon");
  EXPECT_FALSE(a.refused);
  EXPECT_EQ(a.variants[1].refusal,
            "the spread between repeats (42.0 MiB/min) is larger than the effect (2.00 MiB/min), "
            "so the difference may be noise; run more repeats or longer runs");
  EXPECT_TRUE(a.variants[2].refusal.empty());
}

TEST(ExperimentStats, NoControlOrNoRuns) {
  ExperimentInput in = three_sources(0.05, std::nullopt);
  in.variants[0].control = false;
  EXPECT_TRUE(analyze_experiment(in, "anon").refused);
  in = three_sources(0.05, std::nullopt);
  in.variants[0].runs.clear();
  ExperimentAnalysis a = analyze_experiment(in, "anon");
  EXPECT_TRUE(a.refused);
  EXPECT_NE(a.refusal.find("no measurable run"), std::string::npos);
  in = three_sources(0.05, std::nullopt);
  in.variants[2].runs.clear();
  a = analyze_experiment(in, "anon");
  EXPECT_EQ(a.variants[2].refusal, "it has no measurable run");
  EXPECT_EQ(a.combinations[0].refusal, "variant fix-b has no measurable run");
}

TEST(RateSpec, ParsesUnitsAndRefusesAmbiguity) {
  auto r = parse_rate("100KiB/min");
  ASSERT_TRUE(r.is_ok());
  EXPECT_NEAR(r->per_s, 100 * 1024 / 60.0, 1e-9);
  EXPECT_EQ(r->unit, RateUnit::kBytes);
  EXPECT_NEAR(parse_rate("2 MiB/s")->per_s, 2 * kMiB, 1e-6);
  EXPECT_NEAR(parse_rate("1.5GiB/h")->per_s, 1.5 * 1024 * kMiB / 3600, 1e-6);
  EXPECT_NEAR(parse_rate("512k/s")->per_s, 512 * 1024, 1e-9);
  EXPECT_EQ(parse_rate("5fds/min")->unit, RateUnit::kFds);
  EXPECT_NEAR(parse_rate("5 fds/min")->per_s, 5 / 60.0, 1e-12);
  EXPECT_EQ(parse_rate("3 threads/h")->unit, RateUnit::kThreads);
  EXPECT_EQ(parse_rate("0")->unit, RateUnit::kAny);
  EXPECT_EQ(parse_rate("0/min")->per_s, 0);
  EXPECT_EQ(parse_rate("100").status().message(),
            "bad rate '100' (no unit; write it like 100KiB/min, 2MiB/s, 5fds/min or 1threads/h)");
  EXPECT_FALSE(parse_rate("100KiB").is_ok());
  EXPECT_FALSE(parse_rate("100KiB/day").is_ok());
  EXPECT_FALSE(parse_rate("100 apples/s").is_ok());
  EXPECT_FALSE(parse_rate("fast").is_ok());
  EXPECT_TRUE(rate_fits_series(*parse_rate("1fds/min"), "fds"));
  EXPECT_FALSE(rate_fits_series(*parse_rate("1fds/min"), "anon"));
  EXPECT_TRUE(rate_fits_series(*parse_rate("0"), "threads"));
  EXPECT_EQ(format_rate(4.5 * kMiB, RateUnit::kBytes), "+270 MiB/min");
  EXPECT_EQ(format_rate(-1024 / 60.0 * 1.5, RateUnit::kBytes), "-1.50 KiB/min");
  EXPECT_EQ(format_series_rate(0.5, "fds"), "+30.0 fds/min");
  EXPECT_EQ(format_series_rate(-3.8e-7, "fds"), "+0 fds/min");  // not "-0.00"
}

}  // namespace
}  // namespace leakscope::analyze
