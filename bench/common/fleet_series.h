// The synthetic fleet the speed benchmarks record: per tick, a process's cheap-tier sample
// (every tenth process leaks 1 MiB/min after a warm-up; the others warm up and stay; every
// 25th leaks an fd a minute), and once a second its detailed sample. Shared so that the
// analyze and report benchmarks measure the same data.
#pragma once

#include <cmath>
#include <cstdint>

#include "store/capture_types.h"

namespace leakscope::bench {

inline store::Sample fleet_sample(int64_t process_id, int index, int64_t t_ms, uint64_t* rng) {
  double t = static_cast<double>(t_ms) / 1000.0;
  *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
  double noise = (static_cast<double>(*rng >> 11) / 9007199254740992.0 - 0.5) * (1 << 20);
  double anon = 50e6 + 30e6 * (1 - std::exp(-t / 120)) + (index % 10 == 0 ? t * 17476 : 0) + noise;
  store::Sample s;
  s.process_id = process_id;
  s.t_ms = t_ms;
  s.rss_anon = static_cast<int64_t>(anon) / 4096 * 4096;
  s.rss_file = 20 << 20;
  s.rss_shmem = 1 << 20;
  s.rss = s.rss_anon + s.rss_file + s.rss_shmem;
  s.vm_data = s.rss_anon + (200 << 20);
  s.vm_swap = 0;
  s.threads = 4;
  s.fds = 12 + (index % 25 == 1 ? t_ms / 60000 : 0);
  s.cpu_ms = t_ms / 20;
  return s;
}

inline store::DetailSample fleet_detail(const store::Sample& s) {
  store::DetailSample d;
  d.process_id = s.process_id;
  d.t_ms = s.t_ms;
  d.source = "smaps_rollup";
  d.rss = s.rss;
  d.pss_anon = s.rss_anon;
  d.pss_file = s.rss_file / 4;
  d.pss_shmem = s.rss_shmem / 2;
  d.pss = d.pss_anon + d.pss_file + d.pss_shmem;
  d.private_dirty = s.rss_anon;
  d.swap = d.swap_pss = 0;
  return d;
}

}  // namespace leakscope::bench
