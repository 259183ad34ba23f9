// What kind of memory grows, and whether it is likely a leak at all. Growth of private
// anonymous memory is what a heap leak looks like, but glibc's per-thread arenas (64 MiB
// reservations that keep freed pages) produce the same RSS curve with no leak. So when
// RSS grows while the live heap stays flat (from the heap tracker, when the capture has
// it), or when new arena-sized reservations appear in /proc/PID/maps during the growth
// window and no heap data contradicts it, the verdict says "allocator retention
// suspected" instead of "leak", naming the numbers.
#pragma once

#include <vector>

#include "analyze/series.h"
#include "analyze/verdict.h"
#include "store/capture_types.h"

namespace leakscope::analyze {

struct ClassInputs {
  const Series* live_heap = nullptr;  // optional: live bytes from the heap tracker
  std::vector<store::MapsSummary> maps;  // optional: address-space shape every ~10 s
  const Series* vm_data = nullptr;    // optional: VmData
  // Sampled heap tracking: live_heap is an estimate moving in steps of this many bytes.
  int64_t heap_sample_interval = 0;
};

MemoryClass classify_growth(const ProcessVerdict& p, const ClassInputs& in);

}  // namespace leakscope::analyze
