// Theil–Sen, Mann–Kendall and Hamed–Rao; see stats_trend.h. The pairwise work is O(n^2)
// on purpose: the engine runs these on a few hundred binned points, where exactness is
// cheap, rather than on raw ticks.
#include "analyze/stats_trend.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "analyze/stats_basic.h"

namespace leakscope::analyze {
namespace {

double sign(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }

// Sum of k(k-1)(2k+5) over groups of tied values.
double tie_term(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = i + 1;
    while (j < v.size() && v[j] == v[i]) ++j;
    double k = static_cast<double>(j - i);
    if (k > 1) sum += k * (k - 1) * (2 * k + 5);
    i = j;
  }
  return sum;
}

double kth(std::vector<double>& v, size_t k) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  size_t i = 0;
  while (i < idx.size()) {
    size_t j = i + 1;
    while (j < idx.size() && v[idx[j]] == v[idx[i]]) ++j;
    double r = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) ranks[idx[k]] = r;
    i = j;
  }
  return ranks;
}

namespace {

std::vector<double> pairwise_slopes(const std::vector<double>& t, const std::vector<double>& y,
                                    size_t begin, size_t end) {
  std::vector<double> slopes;
  size_t n = end > begin ? end - begin : 0;
  slopes.reserve(n * (n > 0 ? n - 1 : 0) / 2);
  for (size_t i = begin; i < end; ++i)
    for (size_t j = i + 1; j < end; ++j)
      if (t[j] != t[i]) slopes.push_back((y[j] - y[i]) / (t[j] - t[i]));
  return slopes;
}

// Slope, intercept and Sen's interval from the pairwise slopes (which get reordered).
TheilSen sen_from_slopes(std::vector<double>& slopes, const std::vector<double>& t,
                         const std::vector<double>& y, size_t begin, size_t end, double var_s,
                         double confidence) {
  TheilSen r;
  r.pairs = slopes.size();
  if (slopes.empty()) return r;
  std::vector<double> tv(t.begin() + static_cast<std::ptrdiff_t>(begin),
                         t.begin() + static_cast<std::ptrdiff_t>(end));
  std::vector<double> yv(y.begin() + static_cast<std::ptrdiff_t>(begin),
                         y.begin() + static_cast<std::ptrdiff_t>(end));
  r.slope = median(slopes);
  r.intercept = median(yv) - r.slope * median(tv);
  // Sen (1968) eq. 2.6, indices as scipy.stats.theilslopes computes them.
  double nt = static_cast<double>(slopes.size());
  double z = normal_quantile(0.5 + confidence / 2);
  double sigma = std::sqrt(std::max(0.0, var_s));
  auto last = static_cast<double>(slopes.size() - 1);
  double ru = std::min(std::round((nt + z * sigma) / 2), last);
  double rl = std::max(std::round((nt - z * sigma) / 2) - 1, 0.0);
  r.ci_lo = kth(slopes, static_cast<size_t>(rl));
  r.ci_hi = kth(slopes, static_cast<size_t>(ru));
  return r;
}

}  // namespace

TheilSen theil_sen(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
                   size_t end, double var_s, double confidence) {
  std::vector<double> slopes = pairwise_slopes(t, y, begin, end);
  return sen_from_slopes(slopes, t, y, begin, end, var_s, confidence);
}

double mk_score(const std::vector<double>& y, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i)
    for (size_t j = i + 1; j < end; ++j) s += sign(y[j] - y[i]);
  return s;
}

double mk_variance(const std::vector<double>& y, size_t begin, size_t end) {
  double n = static_cast<double>(end > begin ? end - begin : 0);
  std::vector<double> v(y.begin() + static_cast<std::ptrdiff_t>(begin),
                        y.begin() + static_cast<std::ptrdiff_t>(end));
  return (n * (n - 1) * (2 * n + 5) - tie_term(std::move(v))) / 18.0;
}

double hamed_rao_ratio(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
                       size_t end, double sen_slope, double acf_alpha, bool contiguous) {
  size_t n = end > begin ? end - begin : 0;
  if (n < 4) return 1;
  // Detrend on the sample index scale, as Hamed & Rao (and pyMannKendall) do; on a regular
  // grid this equals detrending in time.
  double dt = (t[end - 1] - t[begin]) / static_cast<double>(n - 1);
  std::vector<double> detrended(n);
  for (size_t i = 0; i < n; ++i)
    detrended[i] = y[begin + i] - sen_slope * dt * static_cast<double>(i + 1);
  std::vector<double> ranks = average_ranks(detrended);
  double mean = 0;
  for (double r : ranks) mean += r;
  mean /= static_cast<double>(n);
  for (double& r : ranks) r -= mean;
  double c0 = 0;
  for (double r : ranks) c0 += r * r;
  if (c0 <= 0) return 1;
  double bound = normal_quantile(1 - acf_alpha / 2) / std::sqrt(static_cast<double>(n));
  double nd = static_cast<double>(n);
  double sum = 0;
  for (size_t lag = 1; lag < n; ++lag) {
    double c = 0;
    for (size_t i = lag; i < n; ++i) c += ranks[i] * ranks[i - lag];
    double rho = c / c0;
    if (rho > bound || rho < -bound) {
      double k = static_cast<double>(lag);
      sum += (nd - k) * (nd - k - 1) * (nd - k - 2) * rho;
    } else if (contiguous) {
      break;
    }
  }
  double ratio = 1 + 2 / (nd * (nd - 1) * (nd - 2)) * sum;
  // A strongly negative autocorrelation sum can push the ratio towards 0; a variance that
  // shrinks more than tenfold is not credible for memory series.
  return std::max(ratio, 0.1);
}

TrendTest trend_test(const std::vector<double>& t, const std::vector<double>& y, size_t begin,
                     size_t end, double confidence) {
  TrendTest r;
  r.n = end > begin ? end - begin : 0;
  if (r.n < 3) return r;
  r.s = mk_score(y, begin, end);
  r.var_s = mk_variance(y, begin, end);
  std::vector<double> slopes = pairwise_slopes(t, y, begin, end);
  double slope = median(slopes);
  r.n_ratio = std::max(1.0, hamed_rao_ratio(t, y, begin, end, slope, 0.05, true));
  r.var_s_corrected = r.var_s * r.n_ratio;
  r.sen = sen_from_slopes(slopes, t, y, begin, end, r.var_s_corrected, confidence);
  if (r.var_s_corrected > 0) {
    double num = r.s > 0 ? r.s - 1 : (r.s < 0 ? r.s + 1 : 0);
    r.z = num / std::sqrt(r.var_s_corrected);
  }
  r.p = two_sided_p(r.z);
  return r;
}

}  // namespace leakscope::analyze
