// A columnar read path for analysis: only the columns the verdict engine needs, per
// process, into plain vectors, optionally cut at a time. CaptureReader::all_samples()
// materialises every column of every row in one map (120 bytes a row); for a capture of
// 100 processes x 1 hour at 10 Hz that is 3.6 M rows and ~430 MB, so analysis reads one
// process at a time through here instead.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "store/sqlite_db.h"

namespace leakscope::store {

// Cheap-tier columns of one process, in time order; -1 = not available.
struct SampleColumns {
  std::vector<int64_t> t_ms, rss, rss_anon, rss_file, rss_shmem, vm_data, vm_swap, threads, fds,
      cpu_ms;
  size_t size() const { return t_ms.size(); }
  void truncate(size_t n) {
    for (auto* c : {&t_ms, &rss, &rss_anon, &rss_file, &rss_shmem, &vm_data, &vm_swap, &threads,
                    &fds, &cpu_ms})
      if (c->size() > n) c->resize(n);
  }
};

// Detailed-tier columns of one process, in time order; -1 = not available.
struct DetailColumns {
  std::vector<int64_t> t_ms, pss, pss_anon, pss_file, pss_shmem, private_dirty, swap_pss;
  size_t size() const { return t_ms.size(); }
  void truncate(size_t n) {
    for (auto* c : {&t_ms, &pss, &pss_anon, &pss_file, &pss_shmem, &private_dirty, &swap_pss})
      if (c->size() > n) c->resize(n);
  }
};

// Rows with t_ms <= max_t_ms (INT64_MAX for all).
StatusOr<SampleColumns> read_sample_columns(Database& db, int64_t process_id, int64_t max_t_ms);
StatusOr<DetailColumns> read_detail_columns(Database& db, int64_t process_id, int64_t max_t_ms);

}  // namespace leakscope::store
