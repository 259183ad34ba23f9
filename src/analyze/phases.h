// Growth by phase. Marks (from `leakscope mark`, `--mark-regex` stdout lines or the API)
// cut the recording into labelled intervals: each mark starts an interval that lasts until
// the next mark. Per label we add up how much a series grew inside its intervals and how
// much CPU the processes used, so "grows 3.0 MiB/min during `active`, 0 during `idle`"
// (a staircase) is a measured statement. Without marks, CPU activity splits the time into
// busy and idle stretches, so "grows only when busy" is visible too.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analyze/series.h"
#include "store/capture_types.h"

namespace leakscope::analyze {

struct PhaseIntervals {
  std::vector<std::string> labels;  // per interval
  std::vector<double> t0, t1;       // seconds
  std::vector<std::string> order;   // distinct labels, in order of first appearance
  bool empty() const { return labels.empty(); }
};

PhaseIntervals phase_intervals(const std::vector<store::Mark>& marks, double t_end_s);

// The length of one cycle of a repeating phase pattern (median time between starts of the
// same label), or 0 when no label repeats.
double phase_cycle_s(const PhaseIntervals& iv);

// Growth of `s` per label: for each interval, the level at its end minus the level at its
// start, each the median of the five samples centred on that time.
std::map<std::string, double> growth_by_label(const Series& s, const PhaseIntervals& iv);

// CPU seconds per label from a cumulative CPU-time counter in ms.
std::map<std::string, double> cpu_by_label(const std::vector<int64_t>& t_ms,
                                           const std::vector<int64_t>& cpu_ms,
                                           const PhaseIntervals& iv);

struct BusyIdleSplit {
  bool available = false;
  double busy_fraction = 0;
  double busy_rate = 0, idle_rate = 0;  // per second
  double busy_cpu_pct = 0, idle_cpu_pct = 0;
};

// Splits a process's life into ~1 s stretches, busy when its CPU use is above half of its
// 90th percentile (and above 5% of a core), and measures `s`'s growth in each kind.
BusyIdleSplit busy_idle_split(const Series& s, const std::vector<int64_t>& t_ms,
                              const std::vector<int64_t>& cpu_ms);

}  // namespace leakscope::analyze
