// Heap tracking inside a recording (`leakscope run --heap`): starts the ingest thread,
// gives the launched command the environment that loads the preload library in it and in
// every process it starts, and on the recorder's ticks writes the ingest's reports into the
// capture, resolving each reporting process to its capture id. Processes that cannot be
// interposed (static binaries) are recorded as such and named once on stderr.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "collect/heap_ingest.h"

namespace leakscope::store {
class CaptureWriter;
}

namespace leakscope::collect {

class ProcessTree;

struct HeapOptions {
  bool enabled = false;
  uint64_t sample_interval = 0;  // bytes; 0 = full tracking
  std::string preload_path;      // empty: found next to the leakscope binary
  int64_t tick_ms = 1000;
  bool quiet = false;            // no notices on stderr (they are still recorded as notes)
};

// Parses the value of --heap: "" or "full", or "sample:SIZE" (e.g. sample:512k).
Status parse_heap_mode(const std::string& text, HeapOptions* out);

// libleakscope_preload.so next to the running leakscope binary (../lib or the same folder).
StatusOr<std::string> find_preload_library();

class HeapRecording {
 public:
  static StatusOr<std::unique_ptr<HeapRecording>> start(const HeapOptions& options,
                                                        int64_t t0_mono_ns);
  ~HeapRecording();

  // NAME=value entries for the launched command (LD_PRELOAD first in line, and ours).
  std::vector<std::string> child_env() const;
  // The launched command: its executable is looked at before it runs, since a short-lived
  // static binary may be gone before any tick sees it.
  void set_root(pid_t pid, const std::string& command);
  // Every recorder tick: writes the heap ticks that completed, checks new processes.
  void on_tick(ProcessTree& tree, store::CaptureWriter& writer, int64_t now_ms);
  // End of recording: drains what the targets still send and writes the end state.
  void finish(ProcessTree& tree, store::CaptureWriter& writer, int64_t now_ms);

 private:
  HeapRecording() = default;
  void check_new_processes(ProcessTree& tree);
  void write_report(HeapReport report, ProcessTree& tree, store::CaptureWriter& writer,
                    int64_t now_ms);

  HeapOptions options_;
  std::string preload_path_;
  std::unique_ptr<HeapIngest> ingest_;
  std::set<int64_t> checked_;      // capture ids whose executable was looked at
  pid_t root_pid_ = 0;
  bool root_static_ = false;
  bool root_noted_ = false;
  std::set<std::string> said_;     // notices already printed
};

}  // namespace leakscope::collect
