// The per-process summary printed after a recording (`run --summary`, `make demo`): for
// each process its lifetime and its PSS at start, at end and at peak, so that a growing
// process stands out by numbers before any verdict logic runs.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "store/capture_reader.h"

namespace leakscope::analyze {

struct ProcessSummary {
  int64_t process_id = 0;
  int32_t pid = 0;
  std::string comm;
  std::string cmdline;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  std::string end_state;
  // Bytes; PSS from the detailed tier, falling back to RSS when no PSS was readable.
  bool has_pss = false;
  int64_t mem_first = 0;
  int64_t mem_last = 0;
  int64_t mem_peak = 0;
  // The same memory at the middle of the observed lifetime: growth in the second half
  // separates sustained growth from a warm-up at the start, without any modelling.
  int64_t mem_mid = 0;
  double second_half_s = 0;
  int64_t anon_first = 0;  // private anonymous (Pss_Anon, else RssAnon)
  int64_t anon_last = 0;
  int64_t fds_first = -1, fds_last = -1;
  int64_t threads_first = -1, threads_last = -1;
};

StatusOr<std::vector<ProcessSummary>> summarize_capture(store::CaptureReader& reader);
// The table as text, one line per process plus the tree's PSS total.
StatusOr<std::string> summarize_capture_text(const std::string& path);
std::string format_summary(const std::vector<ProcessSummary>& rows);

}  // namespace leakscope::analyze
