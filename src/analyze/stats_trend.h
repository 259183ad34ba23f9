// Trend statistics for one regime of a series: the Theil–Sen slope (median of pairwise
// slopes, robust to outliers and steps of single points) with Sen's (1968) confidence
// interval, and the Mann–Kendall trend test with Hamed & Rao's (1998) variance correction
// for autocorrelation. Sampled memory series are strongly autocorrelated, so the plain
// Mann–Kendall test (and any iid-based slope CI) is over-confident; the corrected variance
// is used both for the test and for the width of Sen's interval.
#pragma once

#include <cstddef>
#include <vector>

namespace leakscope::analyze {

struct TheilSen {
  double slope = 0;
  double intercept = 0;  // median(y) - slope * median(t) (Sen's "separate" intercept)
  double ci_lo = 0;      // Sen's interval from the given variance of S
  double ci_hi = 0;
  size_t pairs = 0;      // pairwise slopes with distinct t
};

// Theil–Sen over [begin, end). `var_s` is the variance of the Mann–Kendall statistic to
// build the interval from (pass mk_variance(...) for Sen's iid interval, or a corrected
// one); `confidence` e.g. 0.95.
TheilSen theil_sen(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
                   size_t end, double var_s, double confidence);

// Mann–Kendall S: sum over i < j of sign(y_j - y_i), with `t` assumed increasing.
double mk_score(const std::vector<double>& y, size_t begin, size_t end);
// Var(S) under no trend, corrected for ties in y (and in t, which has none in practice).
double mk_variance(const std::vector<double>& y, size_t begin, size_t end);

struct TrendTest {
  TheilSen sen;
  double s = 0;
  double var_s = 0;            // tie-corrected, before the autocorrelation correction
  double var_s_corrected = 0;  // after Hamed–Rao
  double n_ratio = 1;          // n / n*, Hamed–Rao's variance inflation
  double z = 0;
  double p = 1;                // two-sided
  size_t n = 0;
};

// Hamed–Rao's n/n*: ranks of the Sen-detrended series, their autocorrelation at every lag
// whose value is significant at `acf_alpha` (two-sided), weighted as in the paper. With
// `contiguous`, only the lags up to the first non-significant one count: at long lags the
// sample autocorrelation of a few hundred points is mostly noise, yet the paper's weights
// are large there, and spurious negative values can shrink the variance several-fold.
double hamed_rao_ratio(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
                       size_t end, double sen_slope, double acf_alpha = 0.05,
                       bool contiguous = false);

// The full test on [begin, end): Sen slope, Hamed–Rao corrected Mann–Kendall z and p, and
// Sen's interval at `confidence` from the corrected variance. The engine's variant: lags
// up to the first non-significant one, and the correction never makes the variance smaller
// than the iid one (a negative correction is not credible for memory series and it made
// the intervals under-cover in the benchmark).
TrendTest trend_test(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
                     size_t end, double confidence = 0.95);

// Ranks with ties given their average rank (1-based), as scipy.stats.rankdata.
std::vector<double> average_ranks(const std::vector<double>& v);

}  // namespace leakscope::analyze
