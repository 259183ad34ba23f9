// A capture with heap data whose stacks are real: the return addresses and executable
// mappings printed by tests/programs/sym_known, so `sites` and the exports symbolise them
// with the real symboliser. The counters are synthetic (a steady leaker, a one-time startup
// allocation ten times larger, a balanced churn site allocating a thousand times more),
// written through CaptureWriter exactly as the collector writes them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "../symbolize/sym_known_output.h"

namespace leakscope::e2e {

inline constexpr int32_t kHeapPid = 4242;
inline constexpr int64_t kLeakStack = 1, kStartupStack = 2, kChurnStack = 3;

struct HeapFixture {
  testing::SymKnownOutput program;
  int ticks = 0;
  // Per stack at the end: live bytes/blocks, cumulative allocated bytes, unfreed at exit.
  std::map<int64_t, int64_t> live_bytes, live_blocks, alloc_bytes, unfreed_bytes, unfreed_blocks;
  int64_t total_live_bytes() const;
};

// Writes the capture at `path`; with `heap` false, the same run without any heap rows.
// `not_interposed`: the process's heap row says its malloc was never interposed, and
// there is no allocation data.
HeapFixture write_heap_capture(const std::string& path, bool heap = true,
                               bool not_interposed = false);

}  // namespace leakscope::e2e
