// The collector's heap ingest: a thread inside the `leakscope` process that accepts the
// preload library's connections (one SOCK_SEQPACKET socket in a private 0700 folder),
// decodes every message into the aggregator and, at every heap tick, hands a report of
// what changed to the recorder's loop through a mutex-protected queue. Decoding and
// aggregation never run on the recorder's thread, so /proc sampling stays on time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "collect/heap_aggregator.h"

namespace leakscope::collect {

struct HeapIngestOptions {
  int64_t tick_ms = 1000;       // heap tick: how often per-stack counters are reported
  int64_t t0_mono_ns = 0;       // the recording's t = 0 (CLOCK_MONOTONIC)
  HeapAggregatorOptions aggregator;
};

class HeapIngest {
 public:
  static StatusOr<std::unique_ptr<HeapIngest>> start(const HeapIngestOptions& options);
  ~HeapIngest();

  const std::string& socket_path() const { return socket_path_; }

  // Reports completed since the last call (heap ticks, in order).
  std::vector<HeapReport> take_reports();
  // Processes to check and their exe, noted by the recorder (static binaries etc.).
  void note_untracked(const HeapProcessKey& key, int32_t ppid, const std::string& exe,
                      const std::string& status);
  // Stops accepting, reads what the targets still send (until every connection closed or
  // `drain_ms` passed), then reports the end state. Call once.
  HeapReport stop(int64_t drain_ms);

  // Peak memory of the aggregator's state, for the recorder's statistics.
  size_t peak_memory_bytes() const { return peak_memory_.load(); }

 private:
  HeapIngest() = default;
  void run();
  struct Loop;

  HeapIngestOptions options_;
  std::string dir_;
  std::string socket_path_;
  ScopedFd listen_fd_;
  ScopedFd wake_fd_;  // eventfd: stop requests
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int64_t drain_ms_ = 0;
  std::atomic<size_t> peak_memory_{0};

  std::mutex mu_;  // guards everything below
  std::vector<HeapReport> reports_;
  struct Untracked {
    HeapProcessKey key;
    int32_t ppid;
    std::string exe;
    std::string status;
  };
  std::vector<Untracked> untracked_;
  HeapReport final_report_;
};

}  // namespace leakscope::collect
