// `leakscope analyze`: the verdict on a capture. For every process and for the tree (PSS,
// so shared pages count once), each series that can leak gets a state (settling,
// no-growth, bounded, stopped-growing, sustained-growth) with the sustained rate, its 95%
// interval, the window it was measured on and the end of warm-up; growing trees name the
// processes that carry the growth (residence); growth is classed (private anonymous,
// file-backed, shared; allocator retention suspected) and split by phase label; every
// sentence of the summary is labelled MEASURED / INFERRED / ESTIMATED.
//
// The engine is a pure function of the series: AnalyzeOptions::at_s evaluates with only
// the data up to that time, which is how serve mode will re-run it on a growing capture.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/phases.h"
#include "analyze/series_verdict.h"
#include "base/status.h"
#include "store/capture_reader.h"

namespace leakscope::analyze {

inline constexpr int kVerdictSchemaVersion = 1;

struct AnalyzeOptions {
  double at_s = -1;                  // evaluate as of this time; < 0: all data
  std::vector<int32_t> pids;         // only these processes (the tree is still judged whole)
  std::vector<std::string> series;   // only these series names
  SeriesParams params;
  std::string capture_path;          // for the report
};

struct TimeToLimit {
  std::string limit;      // "cgroup memory.max", "MemTotal", "RLIMIT_NOFILE"
  double limit_value = 0;
  double headroom = 0;    // limit minus what is in use now
  double eta_s = NAN;     // at the estimated rate
  double eta_earliest_s = NAN;  // at the upper end of the interval
  double eta_latest_s = NAN;    // at the lower end (NaN: not bounded)
};

struct SeriesVerdict {
  SeriesResult r;
  std::optional<TimeToLimit> to_limit;
};

struct MemoryClass {
  std::string growth_class;  // "private-anonymous", "file-backed", "shared", "swap", "none"
  bool allocator_retention_suspected = false;
  bool heap_data = false;    // a live-heap series was available
  std::vector<std::string> evidence;  // INFERRED reasons, each naming its measurements
};


struct ProcessVerdict {
  int64_t process_id = 0;
  int32_t pid = 0;
  int32_t parent_pid = 0;
  double start_time_s = NAN;  // process start relative to the recording (< 0: before it)
  std::string comm, cmdline;
  double first_seen_s = 0, last_seen_s = 0;
  bool exited = false;
  State state = State::kNoGrowth;  // the most serious state of its series
  std::vector<SeriesVerdict> series;
  MemoryClass memory_class;
  BusyIdleSplit busy_idle;          // growth when busy vs idle, without marks
  std::string busy_idle_series;
  double cpu_pct = 0;  // average over its observed life, % of one core
  const SeriesVerdict* find(const std::string& name) const;
};

struct Residence {
  int32_t pid = 0;
  std::string comm;
  double rate = 0;   // per second, of the process's PSS over the tree's window
  double share = 0;  // of the positive growth of all processes
  bool own_verdict_growth = false;
};

struct TreeVerdict {
  State state = State::kNoGrowth;
  std::vector<SeriesVerdict> series;
  std::string residence_series;  // the tree series residence is computed for
  std::vector<Residence> residence;
};

struct PhaseGrowth {
  int32_t pid = 0;  // 0: the tree
  std::string comm;
  std::string series;
  double growth = 0;     // over all intervals of the label
  double rate = 0;       // growth / duration
};

struct PhaseStat {
  std::string label;
  int intervals = 0;
  double duration_s = 0;
  double cpu_pct = 0;  // of the tree, % of one core
  std::vector<PhaseGrowth> growth;
};

struct EvidenceLine {
  std::string label;  // "MEASURED", "INFERRED", "ESTIMATED"
  std::string text;
};

struct Verdict {
  std::string capture;
  double evaluated_at_s = 0;
  double recording_end_s = 0;
  int64_t cgroup_mem_max = -1, mem_total = -1, nofile_limit = -1;
  std::vector<ProcessVerdict> processes;
  TreeVerdict tree;
  std::vector<PhaseStat> phases;
  std::vector<EvidenceLine> evidence;
  std::vector<std::string> notes;  // caveats about the data (no PSS, few samples, ...)
  bool sustained_growth_found = false;
};

StatusOr<Verdict> analyze_capture(store::CaptureReader& reader, const AnalyzeOptions& options);
std::string render_verdict_text(const Verdict& v);
nlohmann::json verdict_to_json(const Verdict& v);

// Severity order used to summarise several series into one state.
int state_severity(State s);

}  // namespace leakscope::analyze
