// Numeric building blocks; see stats_basic.h.
#include "analyze/stats_basic.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace leakscope::analyze {

double median(std::vector<double> v) { return quantile(std::move(v), 0.5); }

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  double a = v[lo];
  if (lo + 1 >= v.size() || pos == static_cast<double>(lo)) return a;
  double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (b - a) * (pos - static_cast<double>(lo));
}

double mad_sigma(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double m = median(v);
  std::vector<double> dev(v.size());
  for (size_t i = 0; i < v.size(); ++i) dev[i] = std::fabs(v[i] - m);
  return 1.4826 * median(std::move(dev));
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double normal_quantile(double p) {
  // Acklam's algorithm, one step of Halley refinement.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                             -2.759285104469687e+02, 1.383577518672690e+02,
                             -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                             -1.556989798598866e+02, 6.680131188771972e+01,
                             -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                             -2.400758277161838e+00, -2.549732539343734e+00,
                             4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                             2.445134137142996e+00, 3.754408661907416e+00};
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  const double plow = 0.02425, phigh = 1 - plow;
  double x;
  if (p < plow) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= phigh) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  double e = normal_cdf(x) - p;
  double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

LinearFit ols(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
              size_t end) {
  LinearFit f;
  f.n = end > begin ? end - begin : 0;
  if (f.n == 0) return f;
  double mt = 0, my = 0;
  for (size_t i = begin; i < end; ++i) {
    mt += t[i];
    my += y[i];
  }
  mt /= static_cast<double>(f.n);
  my /= static_cast<double>(f.n);
  double stt = 0, sty = 0;
  for (size_t i = begin; i < end; ++i) {
    stt += (t[i] - mt) * (t[i] - mt);
    sty += (t[i] - mt) * (y[i] - my);
  }
  f.slope = stt > 0 ? sty / stt : 0;
  f.intercept = my - f.slope * mt;
  for (size_t i = begin; i < end; ++i) {
    double r = y[i] - f.intercept - f.slope * t[i];
    f.rss += r * r;
  }
  if (f.n > 2 && stt > 0) f.slope_se = std::sqrt(f.rss / static_cast<double>(f.n - 2) / stt);
  return f;
}

double lag1_autocorrelation(const std::vector<double>& r) {
  if (r.size() < 3) return 0;
  double m = 0;
  for (double v : r) m += v;
  m /= static_cast<double>(r.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    den += (r[i] - m) * (r[i] - m);
    if (i > 0) num += (r[i] - m) * (r[i - 1] - m);
  }
  return den > 0 ? num / den : 0;
}

double effective_n(size_t n, double rho) {
  rho = std::clamp(rho, 0.0, 0.98);
  return static_cast<double>(n) * (1 - rho) / (1 + rho);
}

namespace {

// Continued fraction for the incomplete beta function (Numerical Recipes' betacf).
double beta_cf(double a, double b, double x) {
  const int kMaxIter = 300;
  const double kEps = 3e-14, kFpMin = 1e-300;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kFpMin) d = kFpMin;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIter; ++m) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kFpMin) d = kFpMin;
    c = 1 + aa / c;
    if (std::fabs(c) < kFpMin) c = kFpMin;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kFpMin) d = kFpMin;
    c = 1 + aa / c;
    if (std::fabs(c) < kFpMin) c = kFpMin;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < kEps) break;
  }
  return h;
}

// Regularized incomplete beta I_x(a, b).
double inc_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double lbt = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
               b * std::log(1 - x);
  double bt = std::exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return bt * beta_cf(a, b, x) / a;
  return 1 - bt * beta_cf(b, a, 1 - x) / b;
}

}  // namespace

double f_sf(double f, double d1, double d2) {
  if (!(f > 0) || d1 <= 0 || d2 <= 0) return 1;
  double x = d2 / (d2 + d1 * f);
  return inc_beta(d2 / 2, d1 / 2, x);
}

void widen_for_sampling(double growth, double span_s, double interval, double confidence,
                        double* ci_lo, double* ci_hi) {
  if (span_s <= 0 || interval <= 0) return;
  double n = std::max(0.0, growth / interval);
  double z = normal_quantile(0.5 + confidence / 2);
  auto cube = [](double v) { return v * v * v; };
  double lo = n > 0 ? n * cube(std::max(0.0, 1 - 1 / (9 * n) - z / (3 * std::sqrt(n)))) : 0;
  double n1 = n + 1;
  double hi = n1 * cube(1 - 1 / (9 * n1) + z / (3 * std::sqrt(n1)));
  *ci_lo = std::min(*ci_lo, lo * interval / span_s);
  *ci_hi = std::max(*ci_hi, hi * interval / span_s);
}

}  // namespace leakscope::analyze
