// Unit tests of the statistical routines against known values: hand-computed small cases,
// scipy 1.10 (theilslopes, f.sf, norm.ppf) and a direct Python transcription of Hamed &
// Rao (1998) as pyMannKendall implements it, run on the same LCG-generated AR(1) series.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "analyze/stats_basic.h"
#include "analyze/stats_trend.h"

namespace leakscope::analyze {
namespace {

std::vector<double> iota_t(size_t n) {
  std::vector<double> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<double>(i);
  return t;
}

// AR(1) with phi and a trend of 0.01 per step, uniform innovations from a 64-bit LCG; the
// Python reference generates the same numbers.
std::vector<double> lcg_ar1(size_t n, double phi, uint64_t seed) {
  std::vector<double> out;
  uint64_t s = seed;
  double v = 0;
  for (size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = static_cast<double>(s >> 11) / 9007199254740992.0 - 0.5;
    v = phi * v + u;
    out.push_back(v + 0.01 * static_cast<double>(i));
  }
  return out;
}

TEST(StatsBasic, RobustLocationAndScale) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 0.25), 2);
  EXPECT_DOUBLE_EQ(quantile({10, 20}, 0.9), 19);
  // |x - 3| = 2,1,0,1,2,3,97 -> median 2 -> 2 * 1.4826.
  EXPECT_NEAR(mad_sigma({1, 2, 3, 4, 5, 6, 100}), 2 * 1.4826, 1e-12);
  EXPECT_TRUE(std::isnan(median({})));
}

TEST(StatsBasic, NormalAndF) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(normal_quantile(0.001), -3.090232306167813, 1e-9);
  EXPECT_NEAR(normal_cdf(1.0), 0.8413447460685429, 1e-12);
  EXPECT_NEAR(two_sided_p(1.959963984540054), 0.05, 1e-9);
  // scipy.stats.f.sf
  EXPECT_NEAR(f_sf(4.96, 1, 10), 0.050087650566468196, 1e-9);
  EXPECT_NEAR(f_sf(3.49, 2, 20), 0.05010493502466261, 1e-9);
  EXPECT_NEAR(f_sf(10.0, 2, 37.5), 0.00033060862697813833, 1e-10);
}

TEST(StatsBasic, OlsAndAutocorrelation) {
  std::vector<double> t = {0, 1, 2, 3}, y = {1, 3, 5, 7};
  LinearFit f = ols(t, y, 0, 4);
  EXPECT_DOUBLE_EQ(f.slope, 2);
  EXPECT_DOUBLE_EQ(f.intercept, 1);
  EXPECT_NEAR(f.rss, 0, 1e-20);
  // Alternating residuals: lag-1 autocorrelation of +1,-1,+1,-1 is -3/4.
  EXPECT_NEAR(lag1_autocorrelation({1, -1, 1, -1}), -0.75, 1e-12);
  EXPECT_NEAR(effective_n(100, 0.5), 100.0 / 3, 1e-9);
  EXPECT_NEAR(effective_n(100, -0.3), 100, 1e-9);  // negative rho is clipped to 0
}

TEST(TheilSen, MatchesScipyTheilslopes) {
  std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<double> y = {2.1, 3.9, 6.2, 7.8, 10.1, 12.2, 13.8, 16.1, 18.3, 19.9};
  TheilSen r = theil_sen(x, y, 0, x.size(), mk_variance(y, 0, y.size()), 0.95);
  EXPECT_NEAR(r.slope, 2.0, 1e-12);
  EXPECT_NEAR(r.intercept, 0.15, 1e-12);
  EXPECT_NEAR(r.ci_lo, 1.95, 1e-12);
  EXPECT_NEAR(r.ci_hi, 2.0571428571428574, 1e-12);
  EXPECT_EQ(r.pairs, 45u);

  std::vector<double> x2 = iota_t(12);
  std::vector<double> y2 = {10, 12, 11, 15, 14, 18, 17, 21, 30, 22, 24, 23};
  TheilSen r2 = theil_sen(x2, y2, 0, 12, mk_variance(y2, 0, 12), 0.95);
  EXPECT_NEAR(r2.slope, 1.5, 1e-12);
  EXPECT_NEAR(r2.intercept, 9.25, 1e-12);
  EXPECT_NEAR(r2.ci_lo, 1.0, 1e-12);
  EXPECT_NEAR(r2.ci_hi, 1.6666666666666667, 1e-12);
}

TEST(TheilSen, IgnoresOneOutlier) {
  std::vector<double> t = iota_t(20), y;
  for (double v : t) y.push_back(3 * v + 1);
  y[7] = 1e6;
  EXPECT_NEAR(theil_sen(t, y, 0, 20, mk_variance(y, 0, 20), 0.95).slope, 3, 1e-12);
}

TEST(MannKendall, HandComputedScoresAndVariance) {
  std::vector<double> y = {1, 2, 3, 4, 5};
  EXPECT_EQ(mk_score(y, 0, 5), 10);
  EXPECT_NEAR(mk_variance(y, 0, 5), 5.0 * 4 * 15 / 18, 1e-12);
  // One tie pair: S = 5; Var = (4*3*13 - 2*1*9) / 18.
  std::vector<double> tied = {1, 1, 2, 3};
  EXPECT_EQ(mk_score(tied, 0, 4), 5);
  EXPECT_NEAR(mk_variance(tied, 0, 4), (156.0 - 18.0) / 18.0, 1e-12);
  EXPECT_EQ(mk_score({5, 4, 3}, 0, 3), -3);
}

TEST(HamedRao, MatchesReferenceOnAr1Series) {
  std::vector<double> y = lcg_ar1(60, 0.8, 42);
  ASSERT_NEAR(y[0], 0.06823033, 1e-8);
  ASSERT_NEAR(y[2], -0.24312353, 1e-8);
  std::vector<double> t = iota_t(60);
  EXPECT_EQ(mk_score(y, 0, 60), 418);
  EXPECT_NEAR(mk_variance(y, 0, 60), 24583.333333333332, 1e-6);
  double slope = theil_sen(t, y, 0, 60, 0, 0.95).slope;
  EXPECT_NEAR(slope, 0.009945713790322028, 1e-12);
  // All significant lags, as in the paper.
  EXPECT_NEAR(hamed_rao_ratio(t, y, 0, 60, slope), 4.17708844865505, 1e-9);
  // Lags up to the first non-significant one (the engine's variant).
  EXPECT_NEAR(hamed_rao_ratio(t, y, 0, 60, slope, 0.05, true), 4.886007916836435, 1e-9);
  TrendTest tt = trend_test(t, y, 0, 60);
  EXPECT_NEAR(tt.n_ratio, 4.886007916836435, 1e-9);
  EXPECT_NEAR(tt.z, 1.2032021155235495, 1e-9);
  EXPECT_NEAR(tt.p, 0.22889811645716351, 1e-9);
  // Without the correction the same series looks significant: the correction matters.
  double z_iid = (418.0 - 1) / std::sqrt(24583.333333333332);
  EXPECT_LT(two_sided_p(z_iid), 0.01);
}

TEST(HamedRao, IndependentNoiseNeedsNoCorrection) {
  std::vector<double> y = lcg_ar1(200, 0.0, 7), t = iota_t(200);
  TrendTest tt = trend_test(t, y, 0, 200);
  EXPECT_NEAR(tt.n_ratio, 1.0, 0.35);
  EXPECT_LT(tt.p, 1e-6);  // the 0.01/step trend is large against uniform(-0.5, 0.5) noise
  EXPECT_GT(tt.sen.ci_hi, 0.01);
  EXPECT_LT(tt.sen.ci_lo, 0.01);
}

TEST(Ranks, AverageTies) {
  std::vector<double> r = average_ranks({10, 20, 10, 30});
  EXPECT_EQ(r, (std::vector<double>{1.5, 3, 1.5, 4}));
}

}  // namespace
}  // namespace leakscope::analyze
