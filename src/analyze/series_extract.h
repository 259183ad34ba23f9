// From capture rows to the series the engine judges: per process the private anonymous,
// file-backed, shared-memory, swap, fd and thread series (dense cheap-tier values, falling
// back to the detailed tier when a kernel lacks them), and for the tree the PSS sums on a
// common grid (each process's latest PSS held until its next reading or its exit), so that
// pages shared between forked processes are not counted twice.
#pragma once

#include <cstdint>
#include <vector>

#include "analyze/series.h"
#include "store/capture_types.h"
#include "store/series_reader.h"

namespace leakscope::analyze {

// The series of one process; names: anon, file, shmem, swap, fds, threads.
std::vector<Series> process_series(const store::SampleColumns& s, const store::DetailColumns& d);

// The process's total memory (PSS, else RSS) as one series, for residence shares.
Series process_memory_series(const store::SampleColumns& s, const store::DetailColumns& d);

// Accumulates the tree's sums on a regular grid, one process at a time.
class TreeAccumulator {
 public:
  TreeAccumulator(double t_end_s, double step_s);
  void add(const store::SampleColumns& s, const store::DetailColumns& d, double exit_s);
  // Names: pss, pss_anon, pss_file, pss_shmem, swap (PSS), fds, threads. When no process
  // had a PSS reading, memory sums fall back to RSS with a source saying so.
  std::vector<Series> series() const;
  bool has_pss() const { return any_pss_; }

 private:
  double step_;
  size_t n_;
  bool any_pss_ = false;
  std::vector<double> pss_, anon_, file_, shmem_, swap_, fds_, threads_;
  std::vector<double> rss_, rss_anon_, rss_file_, rss_shmem_;
  std::vector<bool> covered_;
};

}  // namespace leakscope::analyze
