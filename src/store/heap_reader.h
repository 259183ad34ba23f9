// Reads the heap-tracking tables of a capture (see heap_types.h). Separate from
// CaptureReader because most commands never need them and site data can be large.
#pragma once

#include <map>
#include <vector>

#include "base/status.h"
#include "store/capture_reader.h"
#include "store/heap_types.h"

namespace leakscope::store {

struct HeapData {
  std::vector<HeapProcess> processes;
  // (process_id, stack_id) -> pcs, innermost first.
  std::map<std::pair<int64_t, int64_t>, std::vector<uint64_t>> stacks;
  std::vector<HeapUnfreed> unfreed;
  std::vector<Module> modules;
  // (process_id, pc) -> symbols, outermost function first (inline_depth ascending).
  std::map<std::pair<int64_t, uint64_t>, std::vector<FrameSymbol>> symbols;

  bool empty() const { return processes.empty(); }
  const HeapProcess* find_process(int64_t process_id) const;
};

// Everything but the time series (which are read per process below).
StatusOr<HeapData> read_heap_data(CaptureReader& reader);
StatusOr<std::vector<HeapProcess>> read_heap_processes(CaptureReader& reader);  // mode per process
// Per-stack samples of one process, ordered by stack then time.
StatusOr<std::vector<HeapSiteSample>> read_heap_site_samples(CaptureReader& reader,
                                                             int64_t process_id);
StatusOr<std::vector<HeapTotal>> read_heap_totals(CaptureReader& reader, int64_t process_id);

}  // namespace leakscope::store
