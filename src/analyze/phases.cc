// Phase statistics; see phases.h.
#include "analyze/phases.h"

#include <algorithm>
#include <cmath>

#include "analyze/stats_basic.h"

namespace leakscope::analyze {
namespace {

// The series' level at time t: the median of the sample nearest to t and the two on each
// side (for a monotone stretch that is the nearest value: no lag into the next phase, and
// less noise than one reading); the last value after the end; NaN before the first sample.
double level_before(const Series& s, double t) {
  size_t hi = static_cast<size_t>(std::upper_bound(s.t.begin(), s.t.end(), t) - s.t.begin());
  if (hi == 0) return NAN;
  if (hi >= s.size()) return s.v.back();
  size_t c = (t - s.t[hi - 1] <= s.t[hi] - t) ? hi - 1 : hi;
  size_t a = c >= 2 ? c - 2 : 0, b = std::min(s.size(), c + 3);
  if (c < 2 || c + 3 > s.size()) return s.v[c];
  return median(std::vector<double>(s.v.begin() + static_cast<std::ptrdiff_t>(a),
                                    s.v.begin() + static_cast<std::ptrdiff_t>(b)));
}

// Cumulative counter value at time t by linear interpolation (NaN outside the data).
double counter_at(const std::vector<int64_t>& t_ms, const std::vector<int64_t>& c, double t) {
  double tm = t * 1000;
  size_t hi = static_cast<size_t>(std::lower_bound(t_ms.begin(), t_ms.end(),
                                                   static_cast<int64_t>(std::ceil(tm))) -
                                  t_ms.begin());
  if (hi >= t_ms.size()) hi = t_ms.size() - 1;
  if (t_ms.empty() || c[hi] < 0) return NAN;
  if (hi == 0 || static_cast<double>(t_ms[hi]) <= tm) return static_cast<double>(c[hi]);
  size_t lo = hi - 1;
  if (c[lo] < 0) return static_cast<double>(c[hi]);
  double f = (tm - static_cast<double>(t_ms[lo])) / static_cast<double>(t_ms[hi] - t_ms[lo]);
  return static_cast<double>(c[lo]) + f * static_cast<double>(c[hi] - c[lo]);
}

}  // namespace

PhaseIntervals phase_intervals(const std::vector<store::Mark>& marks, double t_end_s) {
  PhaseIntervals iv;
  for (size_t i = 0; i < marks.size(); ++i) {
    double t0 = static_cast<double>(marks[i].t_ms) / 1000.0;
    if (t0 >= t_end_s) break;
    double t1 = i + 1 < marks.size() ? static_cast<double>(marks[i + 1].t_ms) / 1000.0 : t_end_s;
    t1 = std::min(t1, t_end_s);
    if (t1 <= t0) continue;
    iv.labels.push_back(marks[i].label);
    iv.t0.push_back(t0);
    iv.t1.push_back(t1);
    if (std::find(iv.order.begin(), iv.order.end(), marks[i].label) == iv.order.end())
      iv.order.push_back(marks[i].label);
  }
  return iv;
}

double phase_cycle_s(const PhaseIntervals& iv) {
  std::vector<double> gaps;
  std::map<std::string, double> last_start;
  for (size_t i = 0; i < iv.labels.size(); ++i) {
    auto it = last_start.find(iv.labels[i]);
    if (it != last_start.end()) gaps.push_back(iv.t0[i] - it->second);
    last_start[iv.labels[i]] = iv.t0[i];
  }
  return gaps.empty() ? 0 : median(gaps);
}

std::map<std::string, double> growth_by_label(const Series& s, const PhaseIntervals& iv) {
  std::map<std::string, double> out;
  for (size_t i = 0; i < iv.labels.size(); ++i) {
    double a = level_before(s, iv.t0[i]), b = level_before(s, iv.t1[i]);
    if (std::isnan(a) || std::isnan(b)) continue;
    out[iv.labels[i]] += b - a;
  }
  return out;
}

std::map<std::string, double> cpu_by_label(const std::vector<int64_t>& t_ms,
                                           const std::vector<int64_t>& cpu_ms,
                                           const PhaseIntervals& iv) {
  std::map<std::string, double> out;
  for (size_t i = 0; i < iv.labels.size(); ++i) {
    double a = counter_at(t_ms, cpu_ms, iv.t0[i]), b = counter_at(t_ms, cpu_ms, iv.t1[i]);
    if (std::isnan(a) || std::isnan(b)) continue;
    out[iv.labels[i]] += std::max(0.0, b - a) / 1000.0;
  }
  return out;
}

BusyIdleSplit busy_idle_split(const Series& s, const std::vector<int64_t>& t_ms,
                              const std::vector<int64_t>& cpu_ms) {
  BusyIdleSplit r;
  if (s.size() < 20 || t_ms.size() < 20) return r;
  double t0 = std::max(s.t.front(), static_cast<double>(t_ms.front()) / 1000.0);
  double t1 = std::min(s.t.back(), static_cast<double>(t_ms.back()) / 1000.0);
  double width = std::max(1.0, (t1 - t0) / 400);
  size_t n = static_cast<size_t>((t1 - t0) / width);
  if (n < 10) return r;
  std::vector<double> cpu(n), growth(n);
  for (size_t k = 0; k < n; ++k) {
    double a = t0 + static_cast<double>(k) * width, b = a + width;
    cpu[k] = (counter_at(t_ms, cpu_ms, b) - counter_at(t_ms, cpu_ms, a)) / 1000.0 / width;
    growth[k] = level_before(s, b) - level_before(s, a);
  }
  std::vector<double> valid;
  for (double c : cpu)
    if (!std::isnan(c)) valid.push_back(c);
  if (valid.size() < 10) return r;
  double threshold = std::max(0.05, 0.5 * quantile(valid, 0.9));
  double busy_t = 0, idle_t = 0, busy_g = 0, idle_g = 0, busy_c = 0, idle_c = 0;
  for (size_t k = 0; k < n; ++k) {
    if (std::isnan(cpu[k]) || std::isnan(growth[k])) continue;
    if (cpu[k] >= threshold) {
      busy_t += width;
      busy_g += growth[k];
      busy_c += cpu[k] * width;
    } else {
      idle_t += width;
      idle_g += growth[k];
      idle_c += cpu[k] * width;
    }
  }
  double total = busy_t + idle_t;
  if (total <= 0 || busy_t < 0.05 * total || idle_t < 0.05 * total) return r;
  r.available = true;
  r.busy_fraction = busy_t / total;
  r.busy_rate = busy_g / busy_t;
  r.idle_rate = idle_g / idle_t;
  r.busy_cpu_pct = 100 * busy_c / busy_t;
  r.idle_cpu_pct = 100 * idle_c / idle_t;
  return r;
}

}  // namespace leakscope::analyze
