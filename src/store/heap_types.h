// In-memory shapes of the heap-tracking part of a capture (`run --heap`). The collector
// aggregates allocation events per call stack and writes, every heap tick, only the
// per-stack counters that changed; the raw events are never stored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace leakscope::store {

// How heap tracking went for one process.
struct HeapProcess {
  int64_t process_id = 0;
  std::string mode;            // "full" or "sampled"
  int64_t sample_interval = 0; // bytes, sampled mode (mean of the Poisson interval)
  std::string unwinder;        // "cfi", "dwarf" or "mixed", with unwind counts
  std::string status;          // "tracking", "not-interposed: static binary", ...
  int64_t events = 0;          // allocation + free events received
  int64_t lost_events = 0;     // events the target could not deliver (said, not hidden)
};

// The status prefix of a process whose malloc was never interposed (a static binary, its
// own malloc): it has no allocation data at all, which is not the same as none allocated.
inline constexpr const char* kNotInterposed = "not-interposed";
inline bool never_interposed(const std::string& status) {
  return status.rfind(kNotInterposed, 0) == 0;
}

// An interned call stack: its return addresses, innermost (the malloc caller) first.
struct HeapStack {
  int64_t process_id = 0;
  int64_t stack_id = 0;
  std::vector<uint64_t> pcs;
};

// One frame of an interned call stack, innermost (depth 0 = allocation site) first.
struct HeapStackFrame {
  int64_t process_id = 0;
  int64_t stack_id = 0;
  int depth = 0;
  uint64_t pc = 0;  // return address as recorded (caller of malloc at depth 0)
};

// Per-stack counters at a heap tick. alloc_*/free_* are cumulative since the process
// started being tracked; live_* are what is allocated and not yet freed at t_ms.
// In sampled mode, counts are estimates scaled by the sampling interval.
struct HeapSiteSample {
  int64_t process_id = 0;
  int64_t t_ms = 0;
  int64_t stack_id = 0;
  int64_t live_bytes = 0;
  int64_t live_blocks = 0;
  int64_t alloc_bytes = 0;
  int64_t alloc_blocks = 0;
  int64_t free_bytes = 0;
  int64_t free_blocks = 0;
  int64_t short_lived_blocks = 0;  // freed within the temporary-allocation threshold
};

// Per-process totals at a heap tick: the live-heap series the verdict compares with RSS.
struct HeapTotal {
  int64_t process_id = 0;
  int64_t t_ms = 0;
  int64_t live_bytes = 0;       // malloc-family live bytes (requested sizes)
  int64_t live_blocks = 0;
  int64_t mmap_live_bytes = 0;  // anonymous mmap'd bytes mapped directly by the program
  int64_t alloc_bytes = 0;      // cumulative
  int64_t free_bytes = 0;       // cumulative
};

// What was still allocated when a process exited (or when the recording ended).
struct HeapUnfreed {
  int64_t process_id = 0;
  int64_t stack_id = 0;
  int64_t bytes = 0;
  int64_t blocks = 0;
  bool at_exit = true;  // false: the process was still running at the end of the recording
};

// An executable mapping, to symbolise recorded pcs after the run (by build-id).
struct Module {
  int64_t process_id = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  std::string path;
  std::string build_id;  // hex, "" if none
};

// A symbolised pc (written after the run by the symboliser; one row per inlined frame).
struct FrameSymbol {
  int64_t process_id = 0;
  uint64_t pc = 0;
  int inline_depth = 0;  // 0 = the outermost (real) function, >0 = inlined into it
  std::string function;
  std::string file;
  int64_t line = 0;
  std::string module;
};

}  // namespace leakscope::store
