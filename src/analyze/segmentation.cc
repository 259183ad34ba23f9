// Final-regime segmentation; see segmentation.h. Fits run on normalised coordinates
// (time in [0, 1] over the stretch, values centred and scaled by their range) so that
// byte-sized values and hour-long spans do not lose precision in the sums of squares.
#include "analyze/segmentation.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "analyze/stats_basic.h"

namespace leakscope::analyze {
namespace {

struct Frame {
  double t0 = 0, tspan = 1, y0 = 0, yscale = 1;
  std::vector<double> t, y;  // normalised
};

Frame normalise(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
                size_t end) {
  Frame f;
  f.t0 = t[begin];
  f.tspan = std::max(t[end - 1] - t[begin], 1e-9);
  double lo = *std::min_element(y.begin() + static_cast<std::ptrdiff_t>(begin),
                                y.begin() + static_cast<std::ptrdiff_t>(end));
  double hi = *std::max_element(y.begin() + static_cast<std::ptrdiff_t>(begin),
                                y.begin() + static_cast<std::ptrdiff_t>(end));
  f.y0 = (lo + hi) / 2;
  f.yscale = std::max(hi - lo, 1e-9 * std::max(1.0, std::fabs(f.y0)));
  for (size_t i = begin; i < end; ++i) {
    f.t.push_back((t[i] - f.t0) / f.tspan);
    f.y.push_back((y[i] - f.y0) / f.yscale);
  }
  return f;
}

// Solves the 3x3 system m x = r by Gaussian elimination with partial pivoting.
bool solve3(std::array<std::array<double, 3>, 3> m, std::array<double, 3> r,
            std::array<double, 3>* x) {
  for (int col = 0; col < 3; ++col) {
    int piv = col;
    for (int row = col + 1; row < 3; ++row)
      if (std::fabs(m[row][col]) > std::fabs(m[piv][col])) piv = row;
    if (std::fabs(m[piv][col]) < 1e-12) return false;
    std::swap(m[piv], m[col]);
    std::swap(r[piv], r[col]);
    for (int row = col + 1; row < 3; ++row) {
      double k = m[row][col] / m[col][col];
      for (int c = col; c < 3; ++c) m[row][c] -= k * m[col][c];
      r[row] -= k * r[col];
    }
  }
  for (int row = 2; row >= 0; --row) {
    double s = r[row];
    for (int c = row + 1; c < 3; ++c) s -= m[row][c] * (*x)[c];
    (*x)[row] = s / m[row][row];
  }
  return true;
}

struct ExpFit {
  bool ok = false;
  std::array<double, 3> coef{};  // on the normalised frame: y = c0 + c1 t + c2 e^{-t/tau}
  double tau = 0;                 // normalised
  double rss = 0;
  double b_var_unit = 0;          // (X'X)^-1 entry for the slope
};

ExpFit fit_exp_fixed(const Frame& f, double tau) {
  ExpFit e;
  e.tau = tau;
  std::array<std::array<double, 3>, 3> g{};
  std::array<double, 3> r{};
  for (size_t i = 0; i < f.t.size(); ++i) {
    std::array<double, 3> x = {1.0, f.t[i], std::exp(-f.t[i] / tau)};
    for (int a = 0; a < 3; ++a) {
      r[a] += x[a] * f.y[i];
      for (int b = 0; b < 3; ++b) g[a][b] += x[a] * x[b];
    }
  }
  if (!solve3(g, r, &e.coef)) return e;
  std::array<double, 3> unit{};
  if (!solve3(g, {0.0, 1.0, 0.0}, &unit)) return e;
  e.b_var_unit = unit[1];
  for (size_t i = 0; i < f.t.size(); ++i) {
    double fit = e.coef[0] + e.coef[1] * f.t[i] + e.coef[2] * std::exp(-f.t[i] / tau);
    e.rss += (f.y[i] - fit) * (f.y[i] - fit);
  }
  e.ok = true;
  return e;
}

double inflation(const std::vector<double>& residuals) {
  double rho = std::clamp(lag1_autocorrelation(residuals), 0.0, 0.98);
  return (1 + rho) / (1 - rho);
}

// Prefix sums for O(1) straight-line fits of any sub-range.
struct Prefix {
  std::vector<double> n, t, tt, y, ty, yy;
  explicit Prefix(const Frame& f) {
    size_t m = f.t.size();
    n.assign(m + 1, 0);
    t = tt = y = ty = yy = n;
    for (size_t i = 0; i < m; ++i) {
      n[i + 1] = n[i] + 1;
      t[i + 1] = t[i] + f.t[i];
      tt[i + 1] = tt[i] + f.t[i] * f.t[i];
      y[i + 1] = y[i] + f.y[i];
      ty[i + 1] = ty[i] + f.t[i] * f.y[i];
      yy[i + 1] = yy[i] + f.y[i] * f.y[i];
    }
  }
  // Residual sum of squares and coefficients of the line on [a, b).
  double rss(size_t a, size_t b, double* slope = nullptr, double* icpt = nullptr) const {
    double k = n[b] - n[a], st = t[b] - t[a], stt = tt[b] - tt[a];
    double sy = y[b] - y[a], sty = ty[b] - ty[a], syy = yy[b] - yy[a];
    double sxx = stt - st * st / k, sxy = sty - st * sy / k, sy2 = syy - sy * sy / k;
    double m = sxx > 1e-15 ? sxy / sxx : 0;
    if (slope) *slope = m;
    if (icpt) *icpt = (sy - m * st) / k;
    return std::max(0.0, sy2 - m * sxy);
  }
};

}  // namespace

double TransientFit::term(double t) const {
  if (!present || tau <= 0) return 0;
  return c * std::exp(-(t - t0) / tau);
}

double TransientFit::term_slope(double t) const {
  if (!present || tau <= 0) return 0;
  return -c / tau * std::exp(-(t - t0) / tau);
}

TransientFit fit_transient(const std::vector<double>& t, const std::vector<double>& y,
                           size_t begin, size_t end, const SegmentationParams& params) {
  TransientFit out;
  if (end <= begin + 3) return out;
  Frame f = normalise(t, y, begin, end);
  size_t n = f.t.size();
  LinearFit lin = ols(f.t, f.y, 0, n);
  std::vector<double> res(n);
  for (size_t i = 0; i < n; ++i) res[i] = f.y[i] - lin.intercept - lin.slope * f.t[i];
  double infl = inflation(res);
  out.t0 = f.t0;
  out.rss_linear = lin.rss * f.yscale * f.yscale;
  out.linear_slope = lin.slope * f.yscale / f.tspan;
  out.linear_slope_se = lin.slope_se * std::sqrt(infl) * f.yscale / f.tspan;
  out.a = lin.intercept * f.yscale + f.y0;  // value at t0
  out.b = out.linear_slope;
  out.b_se = out.linear_slope_se;
  out.rss = out.rss_linear;
  if (n < 8) return out;
  ExpFit best;
  const int kGrid = 24;
  const double log_lo = std::log(1.0 / 50), log_step = std::log(100.0) / (kGrid - 1);
  int best_k = -1;
  std::vector<ExpFit> tried;
  for (int k = 0; k < kGrid; ++k) {
    ExpFit e = fit_exp_fixed(f, std::exp(log_lo + log_step * k));
    if (e.ok) tried.push_back(e);
    if (e.ok && (!best.ok || e.rss < best.rss)) {
      best = e;
      best_k = k;
    }
  }
  if (!best.ok) return out;
  // Golden-section refinement of log(tau) between the grid neighbours: a time constant
  // off by one grid step (22%) leaves enough curvature to bias the slope by a few percent.
  {
    const double g = (std::sqrt(5.0) - 1) / 2;
    double a = log_lo + log_step * std::max(0, best_k - 1);
    double b = log_lo + log_step * std::min(kGrid - 1, best_k + 1);
    double x1 = b - g * (b - a), x2 = a + g * (b - a);
    ExpFit f1 = fit_exp_fixed(f, std::exp(x1)), f2 = fit_exp_fixed(f, std::exp(x2));
    for (int it = 0; it < 20 && f1.ok && f2.ok; ++it) {
      if (f1.rss < f2.rss) {
        b = x2;
        x2 = x1;
        f2 = f1;
        x1 = b - g * (b - a);
        f1 = fit_exp_fixed(f, std::exp(x1));
      } else {
        a = x1;
        x1 = x2;
        f1 = f2;
        x2 = a + g * (b - a);
        f2 = fit_exp_fixed(f, std::exp(x2));
      }
    }
    if (f1.ok && f1.rss < best.rss) best = f1;
    if (f2.ok && f2.rss < best.rss) best = f2;
  }
  tried.push_back(best);
  for (size_t i = 0; i < n; ++i)
    res[i] = f.y[i] - best.coef[0] - best.coef[1] * f.t[i] -
             best.coef[2] * std::exp(-f.t[i] / best.tau);
  double infl_exp = inflation(res);
  double n_eff = static_cast<double>(n) / infl_exp;
  double rss_exp = best.rss;
  double fstat = rss_exp > 0 ? (lin.rss - rss_exp) / (rss_exp / std::max(1.0, n_eff - 4)) : 0;
  out.p = n_eff > 5 ? f_sf(fstat, 1, n_eff - 4) : 1;
  double c = best.coef[2] * f.yscale;
  double visible = std::fabs(c) * (1 - std::exp(-1 / best.tau));
  if (out.p < params.transient_alpha && visible >= params.material_delta) {
    out.present = true;
    out.tau = best.tau * f.tspan;
    out.c = c;
    out.b = best.coef[1] * f.yscale / f.tspan;
    double sigma2 = rss_exp / std::max(1.0, static_cast<double>(n) - 3);
    out.b_se = std::sqrt(std::max(0.0, sigma2 * best.b_var_unit) * infl_exp) * f.yscale / f.tspan;
    out.rss = rss_exp * f.yscale * f.yscale;
    out.a = best.coef[0] * f.yscale + f.y0;
    // Profile interval over tau: fits within the F(1, n_eff) 95% bound of the best one.
    double bound = rss_exp * (1 + 4.0 / std::max(1.0, n_eff - 4));
    out.b_ci_lo = out.b - 1.96 * out.b_se;
    out.b_ci_hi = out.b + 1.96 * out.b_se;
    for (const ExpFit& e : tried) {
      if (e.rss > bound) continue;
      double bb = e.coef[1] * f.yscale / f.tspan;
      double se = std::sqrt(std::max(0.0, e.rss / std::max(1.0, static_cast<double>(n) - 3) *
                                              e.b_var_unit) * infl_exp) * f.yscale / f.tspan;
      out.b_ci_lo = std::min(out.b_ci_lo, bb - 1.96 * se);
      out.b_ci_hi = std::max(out.b_ci_hi, bb + 1.96 * se);
    }
  }
  return out;
}

Regimes find_final_regime(const std::vector<double>& t, const std::vector<double>& y,
                          const SegmentationParams& params) {
  Regimes r;
  size_t n = t.size();
  size_t begin = 0;
  const size_t m = std::max<size_t>(params.min_bins, 3);
  for (;;) {
    if (n - begin < 2 * m) break;
    Frame f = normalise(t, y, begin, n);
    Prefix pre(f);
    size_t len = f.t.size();
    // The piece after the break must be long enough to be a final regime on its own.
    size_t last_k = len - m;
    while (last_k > m && t[n - 1] - t[begin + last_k] < params.min_seconds) --last_k;
    if (last_k < m) break;
    // The piece before a break may be short: a process's first moments (loading, the
    // first allocations) are a brief jump that must not hide the regimes after it.
    const size_t first_k = std::max<size_t>(3, m / 4);
    if (last_k < first_k) break;
    double best_rss = -1;
    size_t best_k = 0;
    for (size_t k = first_k; k <= last_k; ++k) {
      double rss = pre.rss(0, k) + pre.rss(k, len);
      if (best_rss < 0 || rss < best_rss) {
        best_rss = rss;
        best_k = k;
      }
    }
    if (best_rss < 0) break;
    double s1, i1, s2, i2;
    pre.rss(0, best_k, &s1, &i1);
    pre.rss(best_k, len, &s2, &i2);
    std::vector<double> res(len);
    for (size_t i = 0; i < len; ++i)
      res[i] = f.y[i] - (i < best_k ? i1 + s1 * f.t[i] : i2 + s2 * f.t[i]);
    double n_eff = static_cast<double>(len) / inflation(res);
    TransientFit smooth = fit_transient(t, y, begin, n, params);
    double rss_null = smooth.rss / (f.yscale * f.yscale);
    double fstat = best_rss > 0 ? ((rss_null - best_rss) / 2) / (best_rss / std::max(1.0, n_eff - 4))
                                : 1e12;
    double p = n_eff > 6 ? f_sf(fstat, 2, n_eff - 4) : 1;
    // Material: the break model and the smooth model must disagree somewhere by at least
    // material_delta.
    double max_diff = 0;
    for (size_t i = 0; i < len; ++i) {
      double tt = t[begin + i];
      double smooth_fit = smooth.a + smooth.b * (tt - smooth.t0) + smooth.term(tt);
      double brk = (i < best_k ? i1 + s1 * f.t[i] : i2 + s2 * f.t[i]) * f.yscale + f.y0;
      max_diff = std::max(max_diff, std::fabs(smooth_fit - brk));
    }
    if (p >= params.break_alpha || max_diff < params.material_delta) break;
    Break b;
    b.index = begin + best_k;
    b.p = p;
    double tb = f.t[best_k];
    b.jump = ((i2 + s2 * tb) - (i1 + s1 * tb)) * f.yscale;
    b.slope_before = s1 * f.yscale / f.tspan;
    b.slope_after = s2 * f.yscale / f.tspan;
    r.breaks.push_back(b);
    begin = b.index;
  }
  r.final_begin = begin;
  r.transient = fit_transient(t, y, begin, n, params);
  return r;
}

}  // namespace leakscope::analyze
