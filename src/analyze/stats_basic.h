// Small numeric building blocks for the verdict engine: robust location and scale, the
// normal distribution, ordinary least squares with its residuals, and the lag-1
// autocorrelation used to turn n autocorrelated points into an effective sample size.
// Everything works on plain vectors of doubles so the engine stays a pure function.
#pragma once

#include <cstddef>
#include <vector>

namespace leakscope::analyze {

// Median of `v` (copied; the input is not reordered). NaN for an empty vector.
double median(std::vector<double> v);
// Quantile by linear interpolation between order statistics (q in [0, 1]).
double quantile(std::vector<double> v, double q);
// Median absolute deviation scaled to the standard deviation of a normal (x 1.4826).
double mad_sigma(const std::vector<double>& v);

double normal_cdf(double z);
// Inverse of normal_cdf (Acklam's rational approximation, relative error < 1.2e-9).
double normal_quantile(double p);
// Two-sided p-value of a standard normal statistic.
double two_sided_p(double z);

struct LinearFit {
  double intercept = 0;  // value at t = 0
  double slope = 0;
  double rss = 0;        // residual sum of squares
  double slope_se = 0;   // OLS standard error of the slope (iid assumption)
  size_t n = 0;
};
// Least squares over [begin, end) of (t, y).
LinearFit ols(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
              size_t end);

// Lag-1 autocorrelation of `r` (0 for fewer than 3 points).
double lag1_autocorrelation(const std::vector<double>& r);
// n (1 - rho) / (1 + rho) for AR(1)-like residuals, rho clipped to [0, 0.98]: how many
// independent points n correlated ones are worth when estimating a mean or a slope.
double effective_n(size_t n, double rho);

// A rate estimated from a count of steps (sampled heap tracking: live bytes move in steps of
// about one sampling interval, their number in a window is Poisson). A trend's interval
// only sees how regular the staircase is, so [*ci_lo, *ci_hi] is widened to at least the
// Poisson interval of the step count (Garwood's, through the Wilson–Hilferty approximation
// of the chi-square quantiles): `growth` over `span_s` at `interval` per step. Nothing
// happens for interval <= 0 or span_s <= 0.
void widen_for_sampling(double growth, double span_s, double interval, double confidence,
                        double* ci_lo, double* ci_hi);

// Upper-tail probability of the F distribution with (d1, d2) degrees of freedom, through
// the regularized incomplete beta function.
double f_sf(double f, double d1, double d2);

}  // namespace leakscope::analyze
