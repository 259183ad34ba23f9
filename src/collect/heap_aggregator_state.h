// Internal state of HeapAggregator, shared by its event half (heap_aggregator.cc) and its
// reporting half (heap_aggregator_report.cc). Not for use outside the aggregator.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "collect/heap_aggregator.h"

namespace leakscope::collect {

// Per call stack of a process. Estimates in sampled mode, exact integers in full mode
// (doubles hold integers exactly far beyond any real heap).
struct HeapStackCounters {
  double live_bytes = 0, live_blocks = 0;
  double alloc_bytes = 0, alloc_blocks = 0;
  double free_bytes = 0, free_blocks = 0;
  double short_lived = 0;
  bool dirty = false;
  bool frames_written = false;
};

struct HeapAggregator::ProcessState {
  HeapProcessKey key;
  int32_t ppid = 0;
  std::string exe;
  // Capture stack ids are dense per process; 0 means "no stack known".
  std::vector<std::vector<uint64_t>> stacks{1};
  std::unordered_multimap<uint64_t, uint32_t> stack_by_hash;
  std::vector<HeapStackCounters> counters{1};
  std::vector<uint32_t> dirty;
  std::vector<store::Module> modules;
  size_t modules_reported = 0;
  std::vector<std::pair<uint64_t, uint64_t>> module_ranges;  // sorted [start, end)
  bool wants_maps = false;
  ImageState* current = nullptr;

  double live_bytes = 0, live_blocks = 0, alloc_bytes = 0, free_bytes = 0;
  double mmap_live = 0;
  bool total_pending = false;  // a final total to write after the image ended

  std::string mode = "full";
  uint64_t interval = 0;
  std::string status = "tracking";
  HeapSourceStats stats;
  uint64_t events = 0;
  uint64_t events_reported = ~uint64_t{0};
  bool row_dirty = true;

  bool ended = false;           // exited (unfreed at_exit = 1)
  bool unfreed_ready = false;
  bool unfreed_reported = false;
  bool unfreed_at_exit = true;
  std::map<uint32_t, std::pair<double, double>> unfreed;  // stack -> (bytes, blocks)
  std::vector<std::string> notices;
};

// An alloc that arrived after a free of its address stamped later, and was taken as freed
// by it: until every event stamped before that free has arrived, the alloc's own thread
// may still bring an earlier free of it (its buffer, with the address's earlier lives,
// came after the other thread's). Its counters are already those of a freed block.
struct HeapProvisional {
  LiveMap::Block block;
  uint64_t free_ts = 0;
};

struct HeapPending {
  std::vector<LiveMap::Block> displaced;  // older allocs whose free has not arrived (live)
  std::vector<uint64_t> tombstones;       // frees that matched no alloc yet
  std::vector<HeapProvisional> provisional;
  bool empty() const { return displaced.empty() && tombstones.empty() && provisional.empty(); }
};

struct HeapMmapRegion {
  uint64_t end = 0;
  uint32_t stack = 0;
};

struct HeapAggregator::ImageState {
  HeapImageId id = 0;
  ProcessState* process = nullptr;
  LiveMap live;
  std::unordered_map<uint64_t, HeapPending> pending;
  std::vector<uint32_t> stack_map;  // source stack id -> capture stack id
  std::map<uint64_t, HeapMmapRegion> mmaps;
  uint64_t interval = 0;
  bool tsc = false;
  uint64_t short_lived_ticks = 0;
  uint64_t watermark = 0;
  uint64_t watermarks_seen = 0;
  HeapEndReason end_reason = HeapEndReason::kUnknown;
  bool closed = false;
};

struct HeapAggregator::ForkSnapshot {
  HeapProcessKey parent;
  LiveMap live;
  std::vector<uint32_t> stack_map;
  std::map<uint64_t, HeapMmapRegion> mmaps;
  uint64_t interval = 0;
  int64_t age_ticks = 0;
};

inline double sample_weight(uint64_t interval, uint64_t size) {
  if (interval == 0 || size == 0 || size >= interval) return 1.0;
  // Recorded with probability 1 - exp(-size/interval): each stands for 1/p allocations.
  return 1.0 / -std::expm1(-static_cast<double>(size) / static_cast<double>(interval));
}

}  // namespace leakscope::collect
