// The recording session behind `leakscope run` and `leakscope attach`: a single-threaded
// loop that ticks the sampler, reaps and forwards signals (run mode), copies the target's
// stdout for --mark-regex, flushes the capture every second and shows a live status line.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "collect/heap_recording.h"
#include "collect/process_tree.h"
#include "store/capture_types.h"

namespace leakscope::collect {

struct RecordOptions {
  std::string output;
  SamplingOptions sampling;
  std::string mark_regex;      // empty: none
  int64_t duration_ns = 0;     // 0: until the tree has exited (or Ctrl-C)
  bool live_status = false;    // one-line status on stderr (only on a TTY)
  std::string options_json;    // recorded in the capture's run table
  std::vector<std::string> extra_env;  // for the launched command only
  HeapOptions heap;                    // run --heap: allocations in every process
};

struct RecordResult {
  std::string output;
  int64_t duration_ms = 0;
  size_t processes = 0;
  size_t rows = 0;
  int exit_code = -1;    // of the launched command
  int exit_signal = 0;   // signal that killed the launched command, or 0
  bool interrupted = false;  // stopped by the user before the tree exited
};

// Launches argv and records its tree until it exits.
StatusOr<RecordResult> record_command(const std::vector<std::string>& argv,
                                      const RecordOptions& options);

// Records a running process and its descendants.
StatusOr<RecordResult> record_attached(pid_t pid, const RecordOptions& options);

}  // namespace leakscope::collect
