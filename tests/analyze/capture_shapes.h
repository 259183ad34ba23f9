// Synthetic captures for the verdict's golden and end-to-end tests: a few processes whose
// cheap and detailed series follow functions of time, written with the real
// CaptureWriter, so analysis reads them exactly as it reads a recording.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/capture_types.h"
#include "store/capture_writer.h"

namespace leakscope::testing {

struct ShapeProcess {
  int32_t pid = 0;
  int32_t parent_index = -1;  // index in the list, -1 for the root
  std::string comm;
  double start_s = 0, end_s = -1;  // end < 0: runs to the end
  std::function<double(double)> anon, file, shmem;  // bytes at time t (null: constant 0)
  std::function<double(double)> fds, threads;       // counts at time t (null: 4 and 1)
  std::function<double(double)> cpu_ms;             // cumulative CPU ms (null: 0)
  std::function<double(double)> arenas;             // maps_summary arena_like (null: none)
  // Heap tracker rows: live heap bytes at time t, every second (null: not heap-tracked),
  // under this tracking status.
  std::function<double(double)> live_heap;
  std::string heap_status = "tracking";
};

struct CaptureShape {
  double duration_s = 600;
  int64_t tick_ms = 100;
  int64_t detail_ms = 2000;
  std::vector<ShapeProcess> processes;
  std::vector<store::Mark> marks;
  unsigned seed = 1;  // small deterministic noise on memory values
  // RssFile, RssShmem and VmSwap come from /proc/PID/status, which the recorder reads every
  // 5th tick (-1 in the rows between); 1: every tick.
  int status_every = 1;
};

// Writes the shape to `path`; returns an empty string or the error. Memory gets +-64 KiB
// of deterministic noise (an LCG), rounded to pages, so the engine sees realistic ties and
// jitter. Header-only: the unit and end-to-end test binaries both use it.

inline std::string write_capture_shape(const std::string& path, const CaptureShape& shape) {
  store::RunInfo run;
  run.mode = "run";
  run.command = "synthetic";
  run.argv = {"synthetic"};
  run.tick_ms = shape.tick_ms;
  run.detail_min_ms = shape.detail_ms;
  run.mem_total = 16LL << 30;
  run.nofile_limit = 1024;
  run.options_json = "{}";
  auto writer = store::CaptureWriter::create(path, run);
  if (!writer.is_ok()) return writer.status().message();
  auto& w = **writer;
  std::vector<int64_t> ids;
  uint64_t rng = shape.seed;
  auto noise = [&rng] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (static_cast<double>(rng >> 11) / 9007199254740992.0 - 0.5) * 128 * 1024;
  };
  auto page = [](double v) { return static_cast<int64_t>(std::max(0.0, std::floor(v / 4096)) * 4096); };
  for (const auto& p : shape.processes) {
    store::ProcessInfo info;
    info.pid = p.pid;
    info.start_ticks = static_cast<uint64_t>(p.pid) * 10;
    info.start_ms = static_cast<int64_t>(p.start_s * 1000);
    info.parent_id = p.parent_index >= 0 ? ids[static_cast<size_t>(p.parent_index)] : store::kNone;
    info.first_seen_ms = info.start_ms;
    info.is_root = p.parent_index < 0;
    info.end_state = p.end_s >= 0 ? "exited" : "running";
    if (p.end_s >= 0) info.exit_ms = info.last_seen_ms = static_cast<int64_t>(p.end_s * 1000);
    int64_t id = w.add_process(info);
    ids.push_back(id);
    if (p.live_heap) w.add_heap_process({id, "full", 0, "cfi", p.heap_status, 0, 0});
    w.add_generation({id, 0, info.start_ms, p.comm, "/usr/bin/" + p.comm, p.comm + " --serve"});
  }
  for (int64_t t_ms = 0; t_ms <= static_cast<int64_t>(shape.duration_s * 1000); t_ms += shape.tick_ms) {
    double t = static_cast<double>(t_ms) / 1000.0;
    for (size_t i = 0; i < shape.processes.size(); ++i) {
      const auto& p = shape.processes[i];
      if (t < p.start_s || (p.end_s >= 0 && t >= p.end_s)) continue;
      double anon = p.anon ? p.anon(t) + noise() : 0;
      double file = p.file ? p.file(t) : 8 << 20;
      double shmem = p.shmem ? p.shmem(t) : 0;
      store::Sample s;
      s.process_id = ids[i];
      s.t_ms = t_ms;
      const int64_t file_bytes = page(file), shmem_bytes = page(shmem);
      s.rss_anon = page(anon);
      s.rss_file = file_bytes;
      s.rss_shmem = shmem_bytes;
      s.rss = s.rss_anon + s.rss_file + s.rss_shmem;
      bool status_read = (t_ms / shape.tick_ms) % shape.status_every == 0;
      s.vm_data = s.rss_anon + (64 << 20);
      s.vm_swap = 0;
      if (!status_read) s.rss_file = s.rss_shmem = s.vm_swap = -1;
      s.threads = static_cast<int64_t>(p.threads ? p.threads(t) : 1);
      s.fds = static_cast<int64_t>(p.fds ? p.fds(t) : 4);
      s.cpu_ms = static_cast<int64_t>(p.cpu_ms ? p.cpu_ms(t) : 0);
      w.add_sample(s);
      if (t_ms % shape.detail_ms == 0) {
        store::DetailSample d;
        d.process_id = ids[i];
        d.t_ms = t_ms;
        d.source = "smaps_rollup";
        d.rss = s.rss;
        d.pss_anon = s.rss_anon;
        d.pss_file = file_bytes / 2;  // libraries shared with the other processes
        d.pss_shmem = shmem_bytes;
        d.pss = d.pss_anon + d.pss_file + d.pss_shmem;
        d.private_dirty = s.rss_anon;
        d.swap = d.swap_pss = 0;
        w.add_detail(d);
      }
      if (p.live_heap && t_ms % 1000 == 0) {
        auto live = static_cast<int64_t>(p.live_heap(t));
        w.add_heap_total({ids[i], t_ms, live, live / 64, 0, live, 0});
      }
      if (p.arenas && t_ms % 10000 == 0) {
        store::MapsSummary m;
        m.process_id = ids[i];
        m.t_ms = t_ms;
        m.arena_like = static_cast<int64_t>(p.arenas(t));
        m.anon_mappings = 10 + m.arena_like;
        m.anon_bytes = m.arena_like * (64 << 20);
        m.heap_bytes = 1 << 20;
        m.file_mappings = 20;
        m.shmem_bytes = 0;
        w.add_maps_summary(m);
      }
    }
    if (t_ms % 1000 == 0) {
      auto st = w.flush();
      if (!st.is_ok()) return st.message();
    }
  }
  for (const auto& m : shape.marks) w.add_mark(m);
  auto st = w.finish(static_cast<int64_t>(shape.duration_s * 1000), 0, store::kNone);
  return st.is_ok() ? std::string() : st.message();
}

}  // namespace leakscope::testing
