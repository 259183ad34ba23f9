// The verdict on one series: settling, no-growth, bounded, stopped-growing or
// sustained-growth, with the sustained rate, its 95% interval and the window it was
// measured on. The steps (see docs/verdict-method.md for the reasons):
//   1. bin to ~200 points (median per bin; per-bin minimum over bins wider than one period
//      when a GC-like sawtooth is detected: the lower envelope);
//   2. find the final regime (segmentation.h): breaks for steps, kinks and stops, and a
//      fitted exponential transient for warm-up or a filling cache (the deceleration test);
//   3. on the final regime, with the transient subtracted, the Theil–Sen slope and the
//      Hamed–Rao-corrected Mann–Kendall test;
//   4. sustained growth needs significance, a positive lower bound, an effect-size floor
//      (relative to the level and absolute), a transient that has died down, and the same
//      answer at two earlier evaluation times (persistence).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "analyze/segmentation.h"
#include "analyze/series.h"

namespace leakscope::analyze {

// Fewest binned points the engine judges a series on; with fewer it is `settling`,
// "too few samples" (unless constant), and no rate is given.
inline constexpr size_t kMinVerdictPoints = 10;

enum class State { kSettling, kNoGrowth, kBounded, kStoppedGrowing, kSustainedGrowth };
const char* state_name(State s);

struct SeriesParams {
  double confidence = 0.95;
  double alpha = 1e-3;                // significance of the corrected Mann–Kendall test
  double rel_floor_per_hour = 0.01;   // bytes: rate floor, fraction of the level per hour
  double abs_floor_bytes_per_s = 256; // bytes: 15 KiB/min, below which nothing is a leak
  double min_count_growth = 3;        // counts: growth over the window worth calling a leak
  double min_regime_s = 0;            // shortest final regime (two phase cycles, if marked)
  size_t target_bins = 200;
  bool persistence = true;
};

struct SeriesResult {
  std::string name;
  std::string source;
  SeriesKind kind = SeriesKind::kBytes;
  State state = State::kSettling;
  std::string reason;  // one clause: why this state
  double t_first = 0, t_last = 0;  // the data judged
  // The final regime and its sustained rate (per second), meaningful in every state.
  double window_t0 = 0, window_t1 = 0;
  double rate = 0, ci_lo = 0, ci_hi = 0;
  double p = 1;
  double n_ratio = 1;  // Hamed–Rao variance inflation
  double warmup_end = NAN;  // end of warm-up/steps/transient, if any
  double need_more_s = 0;   // settling: how much longer to observe
  double first_value = 0, window_start_value = 0, last_value = 0, peak_value = 0;
  double level = 0;         // typical value in the final regime
  double rate_floor = 0;    // the effect-size floor applied
  bool envelope = false;
  Sawtooth sawtooth;
  TransientFit transient;
  std::vector<double> break_times;
  size_t bins = 0;
};

SeriesResult evaluate_series(const Series& s, const SeriesParams& params);

// Value of an effect floor for this series at `level` (bytes: max(absolute, relative);
// counts: 0, they use min_count_growth over the window).
double rate_floor_for(const Series& s, double level, const SeriesParams& params);

}  // namespace leakscope::analyze
