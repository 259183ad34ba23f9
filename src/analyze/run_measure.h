// One number per run: the growth rate of the selected process's series in a capture, as
// the verdict engine measures it (the sustained window's Theil–Sen rate and its 95%
// interval), or its growth during labelled phases. `check` decides on it and `experiment`
// compares it across variants, so both read a capture the same way. A run that cannot
// be measured (the process never ran, the workload crashed) says why in one clause.
#pragma once

#include <cmath>
#include <string>

#include "analyze/experiment_config.h"
#include "analyze/series_verdict.h"
#include "base/status.h"

namespace leakscope::analyze {

struct Measurement {
  bool measured = false;
  std::string why_not;  // one clause, when not measured
  // The process measured ("tree" for the tree), and how many matched the selection.
  std::string process;
  int32_t pid = 0;
  std::string comm;
  size_t matches = 0;
  std::string series;
  State state = State::kSettling;
  std::string reason;      // the verdict engine's clause for the state
  double rate = NAN;       // per second
  double ci_lo = NAN, ci_hi = NAN;  // 95%; NaN for phase rates
  double window_t0 = NAN, window_t1 = NAN;
  double need_more_s = 0;  // settling: how much longer to record
  // Facts of the recording.
  double recorded_s = 0;
  int64_t exit_code = -1;    // of the workload's root process; -1: still running at the end
  int64_t exit_signal = -1;  // the signal that killed it, or -1
};

// Measures `capture` as `spec` says. The status is an error only when the capture cannot
// be read; everything about the workload is in the Measurement.
StatusOr<Measurement> measure_capture(const std::string& capture, const MeasureSpec& spec);

}  // namespace leakscope::analyze
