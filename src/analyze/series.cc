// Series helpers; see series.h.
#include "analyze/series.h"

#include <algorithm>
#include <cmath>

#include "analyze/stats_basic.h"
#include "analyze/stats_trend.h"

namespace leakscope::analyze {

Series truncate_series(const Series& s, double t_max) {
  Series out;
  out.name = s.name;
  out.source = s.source;
  out.kind = s.kind;
  size_t n = static_cast<size_t>(std::upper_bound(s.t.begin(), s.t.end(), t_max) - s.t.begin());
  out.t.assign(s.t.begin(), s.t.begin() + static_cast<std::ptrdiff_t>(n));
  out.v.assign(s.v.begin(), s.v.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

bool window_trend(const Series& s, double t0, double t1, double* slope, double* lo, double* hi) {
  size_t a = static_cast<size_t>(std::lower_bound(s.t.begin(), s.t.end(), t0) - s.t.begin());
  size_t b = static_cast<size_t>(std::upper_bound(s.t.begin(), s.t.end(), t1) - s.t.begin());
  if (b < a + 6) return false;
  size_t stride = std::max<size_t>(1, (b - a) / 200);
  std::vector<double> ts, vs;
  for (size_t i = a; i < b; i += stride) {
    ts.push_back(s.t[i]);
    vs.push_back(s.v[i]);
  }
  TrendTest tt = trend_test(ts, vs, 0, ts.size());
  *slope = tt.sen.slope;
  *lo = tt.sen.ci_lo;
  *hi = tt.sen.ci_hi;
  return true;
}

Bins bin_series(const Series& s, double width) {
  Bins b;
  b.width = width;
  if (s.empty() || width <= 0) return b;
  double t0 = s.t.front();
  size_t i = 0;
  std::vector<double> vals;
  while (i < s.size()) {
    auto index = static_cast<int64_t>(std::floor((s.t[i] - t0) / width));
    size_t j = i;
    double tsum = 0;
    vals.clear();
    while (j < s.size() && static_cast<int64_t>(std::floor((s.t[j] - t0) / width)) == index) {
      tsum += s.t[j];
      vals.push_back(s.v[j]);
      ++j;
    }
    b.t.push_back(tsum / static_cast<double>(j - i));
    b.min.push_back(*std::min_element(vals.begin(), vals.end()));
    // Upper median in place (no copy): bins of a long capture hold hundreds of points.
    auto mid = vals.begin() + static_cast<std::ptrdiff_t>(vals.size() / 2);
    std::nth_element(vals.begin(), mid, vals.end());
    double m = *mid;
    if (vals.size() % 2 == 0) m = (m + *std::max_element(vals.begin(), mid)) / 2;
    b.med.push_back(m);
    i = j;
  }
  return b;
}

Sawtooth detect_sawtooth(const Series& s, double min_drop) {
  Sawtooth st;
  if (s.size() < 8) return st;
  std::vector<double> diffs(s.size() - 1);
  for (size_t i = 1; i < s.size(); ++i) diffs[i - 1] = s.v[i] - s.v[i - 1];
  double step = mad_sigma(diffs);
  // A median absolute step of 0 (flat stretches between page-sized jumps) must not make
  // every small fall a "drop": use the mean absolute step as a floor.
  double mean_abs = 0;
  for (double d : diffs) mean_abs += std::fabs(d);
  mean_abs /= static_cast<double>(diffs.size());
  double threshold = std::max({min_drop, 8 * step, 4 * mean_abs});
  std::vector<double> drop_times, drop_sizes;
  size_t i = 0;
  while (i < diffs.size()) {
    // A collection or a pool reset falls within one or two ticks; a random walk's falls
    // are spread over many, so only the fall over at most two steps counts.
    if (diffs[i] >= 0) {
      ++i;
      continue;
    }
    double fall = -diffs[i];
    size_t last = i;
    if (i + 1 < diffs.size() && diffs[i + 1] < 0 && fall - diffs[i + 1] > fall) {
      fall -= diffs[i + 1];
      last = i + 1;
    }
    if (fall < threshold) {
      ++i;
      continue;
    }
    // The trough: the lowest point in the few samples after the fall.
    size_t lo = last + 1;
    for (size_t k = last + 1; k < s.size() && k <= last + 3; ++k)
      if (s.v[k] < s.v[lo]) lo = k;
    drop_times.push_back(s.t[last + 1]);
    drop_sizes.push_back(fall);
    st.trough_t.push_back(s.t[lo]);
    st.trough_v.push_back(s.v[lo]);
    i = last + 2;
  }
  st.drops = static_cast<int>(drop_times.size());
  if (st.drops < 3) return st;
  std::vector<double> gaps;
  for (size_t k = 1; k < drop_times.size(); ++k) gaps.push_back(drop_times[k] - drop_times[k - 1]);
  st.period_s = median(gaps);
  st.median_drop = median(drop_sizes);
  st.detected = true;
  return st;
}

}  // namespace leakscope::analyze
