// The per-series verdict; see series_verdict.h.
#include "analyze/series_verdict.h"

#include <algorithm>
#include <cmath>

#include "analyze/stats_basic.h"
#include "analyze/stats_trend.h"

namespace leakscope::analyze {
namespace {

constexpr size_t kMinRegimeBins = 12;
constexpr double kKiB = 1024;

double material_delta(const Series& s, double level) {
  if (s.kind == SeriesKind::kCount) return 2;
  return std::max(256 * kKiB, 0.002 * std::fabs(level));
}

// The trend of the final regime, with the fitted transient subtracted when there is one.
struct RegimeTrend {
  double rate = 0, ci_lo = 0, ci_hi = 0, p = 1, n_ratio = 1;
  double t0 = 0;
};

RegimeTrend regime_trend(const std::vector<double>& t, const std::vector<double>& y, size_t fb,
                         const TransientFit& tr, double confidence, size_t min_bins) {
  RegimeTrend r;
  size_t n = t.size();
  std::vector<double> z(y);
  size_t from = fb;
  if (tr.present) {
    for (size_t i = fb; i < n; ++i) z[i] = y[i] - tr.term(t[i]);
    // Use the part after two time constants (the correction matters less there) when it
    // is long enough on its own.
    size_t k = fb;
    while (k < n && t[k] < t[fb] + 2 * tr.tau) ++k;
    if (n - k >= min_bins && k > fb) from = k;
  }
  TrendTest tt = trend_test(t, z, from, n, confidence);
  r.rate = tt.sen.slope;
  r.ci_lo = tt.sen.ci_lo;
  r.ci_hi = tt.sen.ci_hi;
  r.p = tt.p;
  // Ranks drop magnitudes: a nearly noise-free line (a steady leak sampled in pages) has
  // detrended ranks that follow the page quantisation, which Hamed–Rao reads as strong
  // autocorrelation and so declares the trend insignificant. When the rise over the
  // window dwarfs the scatter around the Sen line, the trend is not in doubt.
  std::vector<double> resid;
  for (size_t i = from; i < n; ++i) resid.push_back(z[i] - tt.sen.intercept - tt.sen.slope * t[i]);
  double scatter = mad_sigma(resid);
  double rise = std::fabs(tt.sen.slope) * (t[n - 1] - t[from]);
  if (n - from >= 2 * min_bins && rise > 20 * scatter && tt.sen.ci_lo * tt.sen.ci_hi > 0)
    r.p = std::min(r.p, 1e-9);
  r.n_ratio = tt.n_ratio;
  r.t0 = t[from];
  if (tr.present) {
    // The transient's parameters are themselves uncertain: widen to the model's interval.
    (void)confidence;
    r.ci_lo = std::min(r.ci_lo, tr.b_ci_lo);
    r.ci_hi = std::max(r.ci_hi, tr.b_ci_hi);
  }
  return r;
}

SeriesResult evaluate_once(const Series& s, const SeriesParams& params) {
  SeriesResult r;
  r.name = s.name;
  r.source = s.source;
  r.kind = s.kind;
  if (s.size() < 2) {
    r.state = State::kSettling;
    r.reason = "too few samples";
    r.need_more_s = 0;
    return r;
  }
  r.t_first = s.t.front();
  r.t_last = s.t.back();
  r.first_value = s.v.front();
  r.last_value = s.v.back();
  r.peak_value = *std::max_element(s.v.begin(), s.v.end());
  double span = r.t_last - r.t_first;
  std::vector<double> tail(s.v.begin() + static_cast<std::ptrdiff_t>(s.size() * 4 / 5), s.v.end());
  double level = median(tail);
  r.level = level;
  r.rate_floor = rate_floor_for(s, level, params);
  double delta = material_delta(s, level);

  std::vector<double> gaps;
  for (size_t i = 1; i < s.size() && gaps.size() < 2000; ++i) gaps.push_back(s.t[i] - s.t[i - 1]);
  double dt = gaps.empty() ? 1 : std::max(median(gaps), 1e-3);
  // Series short enough are judged point by point; longer ones in bins of at least two
  // sampling periods: at exactly one period, jitter leaves bins with zero or two points, an
  // aliasing pattern that the residual autocorrelation then misreads.
  const bool raw_points = s.size() <= params.target_bins * 3 / 2;
  double width = std::max(span / static_cast<double>(params.target_bins), 2 * dt);
  double min_drop = std::max(delta, 0.01 * std::fabs(level));
  // Counts (fds, threads) drop whenever connections close or workers end: that is their
  // normal breathing, not a collection cycle, so they are never trended on an envelope.
  if (s.kind == SeriesKind::kBytes) r.sawtooth = detect_sawtooth(s, min_drop);
  Bins b;
  size_t min_regime_bins = kMinRegimeBins;
  // An envelope needs enough cycles to trend; with fewer clean drops the saw is not regular
  // enough to rely on, and per-bin medians with the autocorrelation correction do better.
  if (r.sawtooth.detected && r.sawtooth.trough_t.size() >= 2 * kMinRegimeBins) {
    r.envelope = true;
    Series troughs;
    troughs.t = r.sawtooth.trough_t;
    troughs.v = r.sawtooth.trough_v;
    b = bin_series(troughs, span / static_cast<double>(params.target_bins));
    min_regime_bins = kMinRegimeBins / 2;  // one point per cycle: each is worth more
    width = r.sawtooth.period_s;
  } else if (raw_points) {
    b.t = s.t;
    b.med = s.v;
    b.min = s.v;
    b.width = dt;
    width = dt;
  } else {
    b = bin_series(s, width);
  }
  r.bins = b.size();
  const std::vector<double>& y = r.envelope ? b.min : b.med;
  // Fewer than 2 x min_regime_bins points: one regime, no search for breaks.
  const size_t min_total = kMinVerdictPoints;
  const bool short_series = b.size() < 2 * min_regime_bins;
  if (b.size() < min_total) {
    double lo = *std::min_element(s.v.begin(), s.v.end());
    if (r.peak_value - lo < delta) {
      // Few points, but they do not move at all: there is nothing to wait for.
      r.state = State::kNoGrowth;
      r.reason = "constant over the few samples there are";
      r.window_t0 = r.t_first;
      r.window_t1 = r.t_last;
      return r;
    }
    r.state = State::kSettling;
    r.reason = r.envelope ? "too few sawtooth periods observed" : "too few samples";
    r.need_more_s = static_cast<double>(min_total - b.size()) * width;
    r.window_t0 = r.t_first;
    r.window_t1 = r.t_last;
    return r;
  }

  SegmentationParams sp;
  sp.min_bins = short_series ? b.size() : std::max<size_t>(min_regime_bins * 2 / 3, b.size() / 10);
  sp.min_seconds = params.min_regime_s;
  sp.material_delta = delta;
  Regimes reg = find_final_regime(b.t, y, sp);
  for (const auto& br : reg.breaks) r.break_times.push_back(b.t[br.index]);
  r.transient = reg.transient;
  size_t fb = reg.final_begin;
  RegimeTrend tr = regime_trend(b.t, y, fb, reg.transient, params.confidence, min_regime_bins);
  r.rate = tr.rate;
  r.ci_lo = tr.ci_lo;
  r.ci_hi = tr.ci_hi;
  r.p = tr.p;
  r.n_ratio = tr.n_ratio;
  r.window_t0 = b.t[fb];
  r.window_t1 = b.t.back();
  r.window_start_value = y[fb];
  if (!reg.breaks.empty()) r.warmup_end = b.t[fb];
  const TransientFit& tf = reg.transient;
  if (tf.present && tf.c < 0) {
    // A rising transient: warm-up ends where what is left of it is below 5% of its size.
    r.warmup_end = std::min(r.window_t1, tf.t0 + 3 * tf.tau);
  }
  double regime_len = r.window_t1 - r.window_t0;
  double growth = r.rate * regime_len;
  bool significant = r.p < params.alpha && r.rate > 0 && r.ci_lo > 0;
  bool big_enough = r.rate >= r.rate_floor &&
                    growth >= (s.kind == SeriesKind::kCount ? params.min_count_growth : delta);

  if (tf.present && regime_len < 3 * tf.tau && tf.c < 0) {
    r.state = State::kSettling;
    r.reason = "still rising along a decelerating curve (time constant " +
               std::to_string(static_cast<int64_t>(std::lround(tf.tau))) +
               " s): a filling cache cannot yet be told from a leak";
    r.need_more_s = tf.t0 + 3 * tf.tau - r.window_t1;
    return r;
  }
  if (significant && big_enough) {
    // Deceleration within the regime, for stops the break test could not resolve: the
    // last third's rate, with its own interval, must not be clearly below half the rate.
    size_t third = fb + (b.size() - fb) * 2 / 3;
    if (b.size() - third >= 8 && !tf.present) {
      TrendTest last = trend_test(b.t, y, third, b.size(), params.confidence);
      if (last.sen.ci_hi < 0.5 * r.rate) {
        r.state = State::kSettling;
        r.reason = "growth slowed markedly in the last third of the window; it may have stopped";
        r.need_more_s = (r.window_t1 - r.window_t0) / 3;
        return r;
      }
    }
    r.state = State::kSustainedGrowth;
    r.reason = "significant growth in the final regime, not decelerating";
    return r;
  }
  if (significant && !big_enough) {
    r.reason = "growth is significant but below the effect-size floor";
  } else if (r.p < params.alpha && r.rate < 0) {
    r.reason = "decreasing";
  } else {
    r.reason = "no significant trend in the final regime";
  }
  // What came before the final regime decides between no-growth, bounded and stopped.
  double rise = y[fb] - y.front();
  if (tf.present && tf.c < 0) rise = std::max(rise, -tf.c);
  if (!reg.breaks.empty()) {
    const Break& last = reg.breaks.back();
    size_t prev_begin = reg.breaks.size() >= 2 ? reg.breaks[reg.breaks.size() - 2].index : 0;
    double prev_len = b.t[last.index] - b.t[prev_begin];
    // Steady growth before the stop: Theil–Sen slopes of the two halves of the piece agree
    // within a factor of two (robust to a first sample taken before the process allocated).
    size_t mid = (prev_begin + last.index) / 2;
    double s1 = theil_sen(b.t, y, prev_begin, mid, 0, params.confidence).slope;
    double s2 = theil_sen(b.t, y, mid, last.index, 0, params.confidence).slope;
    bool steady = s1 > 0 && s2 >= 0.5 * s1 && s2 <= 2 * s1;
    bool linear_growth = steady && last.slope_before >= r.rate_floor &&
                         last.slope_before * prev_len >= 4 * delta && prev_len >= 0.2 * span &&
                         last.index - prev_begin >= sp.min_bins;
    if (linear_growth) {
      r.state = State::kStoppedGrowing;
      r.reason = "grew steadily, then stopped; " + r.reason;
      return r;
    }
  }
  if (rise >= delta) {
    r.state = State::kBounded;
    r.reason = "grew, then levelled off; " + r.reason;
  } else {
    r.state = State::kNoGrowth;
  }
  return r;
}

}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::kSettling: return "settling";
    case State::kNoGrowth: return "no-growth";
    case State::kBounded: return "bounded";
    case State::kStoppedGrowing: return "stopped-growing";
    case State::kSustainedGrowth: return "sustained-growth";
  }
  return "settling";
}

double rate_floor_for(const Series& s, double level, const SeriesParams& params) {
  if (s.kind == SeriesKind::kCount) return 0;
  return std::max(params.abs_floor_bytes_per_s,
                  params.rel_floor_per_hour * std::fabs(level) / 3600.0);
}

SeriesResult evaluate_series(const Series& s, const SeriesParams& params) {
  SeriesResult r = evaluate_once(s, params);
  if (r.state != State::kSustainedGrowth || !params.persistence) return r;
  // Persistence: the same verdict must hold with the data as it was at two earlier times,
  // so that a step in the last moments or a noise excursion does not raise an alarm.
  double span = r.t_last - r.t_first;
  double step = std::max(0.05 * span, 2 * span / static_cast<double>(params.target_bins));
  for (int k = 1; k <= 2; ++k) {
    SeriesResult earlier = evaluate_once(truncate_series(s, r.t_last - k * step), params);
    if (earlier.state != State::kSustainedGrowth) {
      r.state = State::kSettling;
      r.reason = "growth seen only in the latest data; not yet confirmed at earlier checks";
      r.need_more_s = static_cast<double>(3 - k) * step;
      break;
    }
  }
  return r;
}

}  // namespace leakscope::analyze
