// The per-process half of analyze_capture: read one process's columns (cut at the
// evaluation time), judge each of its series, classify its growth, and measure its growth
// per phase and when busy. Separate so that processes can be judged on several threads,
// each with its own read-only SQLite connection.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "analyze/phases.h"
#include "analyze/series_extract.h"
#include "analyze/verdict.h"
#include "store/capture_reader.h"
#include "store/heap_types.h"

namespace leakscope::analyze {

struct ProcessJob {
  const store::ProcessInfo* info = nullptr;
  int64_t at_ms = 0;
  bool judge = true;  // false: only feed the tree (filtered out by --pid)
};

struct ProcessContext {
  const store::CaptureMeta* meta = nullptr;
  const PhaseIntervals* phases = nullptr;
  const SeriesParams* params = nullptr;
  const std::vector<std::string>* series_filter = nullptr;
  store::CaptureReader* reader = nullptr;  // for the small heap and maps tables
  std::mutex* reader_mutex = nullptr;
  TreeAccumulator* tree = nullptr;         // fed under tree_mutex
  std::mutex* tree_mutex = nullptr;
  // process id -> its heap tracking (mode, sampling interval, status); absent: not tracked
  const std::map<int64_t, store::HeapProcess>* heap_processes = nullptr;
};

struct ProcessOutcome {
  bool judged = false;
  ProcessVerdict verdict;
  Series memory;  // PSS (else RSS), thinned: residence shares
  std::string growth_series;
  std::map<std::string, double> phase_growth;
  std::map<std::string, double> cpu_by_label;  // CPU seconds per phase label
};

// `db` must be this thread's own connection to the capture.
Status analyze_process(store::Database& db, const ProcessContext& ctx, const ProcessJob& job,
                       ProcessOutcome* out);

}  // namespace leakscope::analyze
