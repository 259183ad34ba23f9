// Finding the final regime of a series: where warm-up, steps and earlier leaks end, so the
// sustained rate is measured only on what the process does now. Two models compete on
// each stretch of binned points:
//   - a smooth transient: a + b t + c exp(-(t - t0) / tau), the shape of a warm-up or of a
//     bounded cache filling (tau searched on a grid), which contains the straight line;
//   - two straight pieces with a break at the best point (a step, a kink, growth that
//     stopped).
// A break is accepted when it explains the data significantly better than the smooth
// transient (an F test whose residual degrees of freedom are the effective sample size
// of the break model's residuals, so that autocorrelated noise or a staircase of many
// small steps does not pass for a break) and the two fits differ by a material amount.
// Breaks are searched from the right: after each accepted break the stretch after it is
// examined again, and the stretch where no break is found is the final regime.
#pragma once

#include <cstddef>
#include <vector>

namespace leakscope::analyze {

struct TransientFit {
  bool present = false;  // a significant and material exponential term
  double a = 0, b = 0, c = 0;
  double tau = 0;        // seconds
  double t0 = 0;         // seconds, the start of the stretch
  double rss = 0;
  double rss_linear = 0;
  double p = 1;          // of the exponential term against a straight line
  double b_se = 0;       // standard error of b at the fitted tau, inflated for autocorrelation
  // 95% interval of b that also covers the uncertainty of tau: the union of b +- 1.96 se
  // over every tau whose fit is not significantly worse than the best (profile interval).
  double b_ci_lo = 0, b_ci_hi = 0;
  double linear_slope = 0;
  double linear_slope_se = 0;  // same inflation, straight-line model
  // Value of the transient term alone at time t.
  double term(double t) const;
  // Slope of the transient term alone at time t.
  double term_slope(double t) const;
};

struct SegmentationParams {
  size_t min_bins = 8;        // fewest bins on either side of a break
  double min_seconds = 0;     // shortest final regime (e.g. two phase cycles)
  double break_alpha = 1e-4;  // significance of a break against the smooth model
  double transient_alpha = 1e-3;
  double material_delta = 0;  // smallest change (in series units) worth a break/transient
};

// Least-squares fit of the transient model on [begin, end).
TransientFit fit_transient(const std::vector<double>& t, const std::vector<double>& y,
                           size_t begin, size_t end, const SegmentationParams& params);

struct Break {
  size_t index = 0;     // first bin of the stretch after the break
  double p = 1;
  double jump = 0;      // level difference of the two pieces at the break
  double slope_before = 0;
  double slope_after = 0;
};

struct Regimes {
  std::vector<Break> breaks;  // in time order
  size_t final_begin = 0;     // first bin of the final regime
  TransientFit transient;     // fitted on the final regime
};

Regimes find_final_regime(const std::vector<double>& t, const std::vector<double>& y,
                          const SegmentationParams& params);

}  // namespace leakscope::analyze
