// Min/max bucket thinning; see downsample.h.
#include "report/downsample.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace leakscope::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Every distinct time of the inputs, each series' value at it (NaN where it has none).
AlignedSeries merge_exact(const std::vector<const analyze::Series*>& series) {
  AlignedSeries out;
  out.values.resize(series.size());
  std::vector<size_t> at(series.size(), 0);
  while (true) {
    double next = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < series.size(); ++k)
      if (at[k] < series[k]->t.size()) next = std::min(next, series[k]->t[at[k]]);
    if (std::isinf(next)) break;
    out.t.push_back(next);
    for (size_t k = 0; k < series.size(); ++k) {
      double v = kNaN;
      const auto& s = *series[k];
      while (at[k] < s.t.size() && s.t[at[k]] == next) v = s.v[at[k]++];
      out.values[k].push_back(v);
    }
  }
  return out;
}

}  // namespace

AlignedSeries align_min_max(const std::vector<const analyze::Series*>& series, size_t max_points) {
  double t0 = std::numeric_limits<double>::infinity(), t1 = -t0;
  size_t total = 0;
  for (const auto* s : series) {
    if (s->empty()) continue;
    t0 = std::min(t0, s->t.front());
    t1 = std::max(t1, s->t.back());
    total = std::max(total, s->t.size());
  }
  size_t buckets = std::max<size_t>(1, max_points / 2);
  // Short series are kept whole when their union of times still fits.
  if (total <= max_points || !(t1 > t0)) {
    AlignedSeries merged = merge_exact(series);
    if (merged.t.size() <= max_points || !(t1 > t0)) return merged;
  }
  double width = (t1 - t0) / static_cast<double>(buckets);
  struct Extremes {
    size_t n = 0;
    size_t i_min = 0, i_max = 0;
    double min = 0, max = 0;
  };
  std::vector<std::vector<Extremes>> ext(series.size(), std::vector<Extremes>(buckets));
  std::vector<bool> used(buckets, false);
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = *series[k];
    for (size_t i = 0; i < s.t.size(); ++i) {
      size_t b = std::min(buckets - 1, static_cast<size_t>((s.t[i] - t0) / width));
      Extremes& e = ext[k][b];
      if (e.n == 0 || s.v[i] < e.min) e.min = s.v[i], e.i_min = i;
      if (e.n == 0 || s.v[i] > e.max) e.max = s.v[i], e.i_max = i;
      ++e.n;
      used[b] = true;
    }
  }
  AlignedSeries out;
  out.thinned = true;
  out.values.resize(series.size());
  for (size_t b = 0; b < buckets; ++b) {
    if (!used[b]) continue;
    double start = t0 + static_cast<double>(b) * width;
    out.t.push_back(start + 0.25 * width);
    out.t.push_back(start + 0.75 * width);
    for (size_t k = 0; k < series.size(); ++k) {
      const Extremes& e = ext[k][b];
      if (e.n == 0) {
        out.values[k].push_back(kNaN);
        out.values[k].push_back(kNaN);
      } else if (e.i_min <= e.i_max) {
        out.values[k].push_back(e.min);
        out.values[k].push_back(e.max);
      } else {
        out.values[k].push_back(e.max);
        out.values[k].push_back(e.min);
      }
    }
  }
  return out;
}

}  // namespace leakscope::report
