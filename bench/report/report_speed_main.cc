// `leakscope_report_speed`: how long `leakscope report` takes on a large capture, and how
// big the page gets. The capture: 100 processes recorded for 1 hour at 10 Hz (3.6 M
// cheap-tier rows, 360 k PSS rows) with phase marks, and heap data for 10 of them with 300
// call sites each (3000 sites, a heap tick every 10 s, pre-symbolised frames), written
// with the real CaptureWriter. Prints the time to build and write the HTML and the
// Markdown report and the HTML's size (the issue asks for seconds). A benchmark, not a
// timed test.
//   leakscope_report_speed [--processes N] [--seconds S] [--heap-processes H]
//                          [--sites S] [--keep PATH]
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "report/report.h"
#include "bench/common/fleet_series.h"
#include "store/capture_writer.h"

using namespace leakscope;

namespace {

struct Shape {
  int processes = 100, seconds = 3600, heap_processes = 10, sites = 300;
};

constexpr int kFunctions = 400;  // distinct frames per process; stacks share them
constexpr int kDepth = 8;

void write_heap(store::CaptureWriter& w, int64_t id, int64_t t_ms, const Shape& shape, bool last) {
  if (t_ms % 10000 != 0) return;
  int64_t total = 0;
  for (int s = 0; s < shape.sites; ++s) {
    // Every 20th site leaks; the rest hold a fixed amount with a little churn.
    bool leaks = s % 20 == 0;
    int64_t live = leaks ? (t_ms / 1000) * (s + 1) * 64 : 4096 * (s % 7 + 1) + (t_ms / 10000 % 2) * 512;
    total += live;
    w.add_heap_site_sample({id, t_ms, s + 1, live, live / 64 + 1, live + t_ms, live / 64 + t_ms / 1000,
                            t_ms, t_ms / 1000, t_ms / 2000});
    if (last && live > 0) w.add_heap_unfreed({id, s + 1, live, live / 64 + 1, true});
  }
  w.add_heap_total({id, t_ms, total, shape.sites, 0, total + t_ms * shape.sites, t_ms * shape.sites});
}

void heap_tables(store::CaptureWriter& w, int64_t id, const Shape& shape) {
  w.add_heap_process({id, "full", 0, "frame-pointer", "tracking", 1000000, 0});
  for (int s = 0; s < shape.sites; ++s)
    for (int d = 0; d < kDepth; ++d) {
      // Outer frames are shared (main, run, dispatch...), inner ones vary per site.
      int f = d >= kDepth - 3 ? kDepth - d : 10 + (s * 7 + d * 13) % (kFunctions - 10);
      w.add_heap_stack_frame({id, s + 1, d, 0x400000 + static_cast<uint64_t>(f) * 16});
    }
  for (int f = 0; f < kFunctions; ++f)
    w.add_frame_symbol({id, 0x400000 + static_cast<uint64_t>(f) * 16, 0,
                        "ns::Component" + std::to_string(f % 37) + "::method_" + std::to_string(f),
                        "/src/app/component" + std::to_string(f % 37) + ".cc", 10 + f, "/usr/bin/app"});
}

int write_capture(const std::string& path, const Shape& shape) {
  store::RunInfo run;
  run.mode = "run";
  run.command = "/usr/bin/app --workers 99";
  run.argv = {"/usr/bin/app", "--workers", "99"};
  run.tick_ms = 100;
  run.detail_min_ms = 1000;
  run.mem_total = 64LL << 30;
  run.options_json = R"({"interval_ms":100,"detail_min_ms":1000,"detail_enabled":true,"heap":"full"})";
  auto w = store::CaptureWriter::create(path, run);
  if (!w.is_ok()) {
    std::fprintf(stderr, "%s\n", w.status().message().c_str());
    return 1;
  }
  std::vector<int64_t> ids;
  for (int i = 0; i < shape.processes; ++i) {
    store::ProcessInfo p;
    p.pid = 1000 + i;
    p.start_ticks = static_cast<uint64_t>(i);
    p.start_ms = 0;
    p.parent_id = i == 0 ? store::kNone : ids[0];
    p.is_root = i == 0;
    ids.push_back((*w)->add_process(p));
    (*w)->add_generation({ids.back(), 0, 0, "worker" + std::to_string(i), "/usr/bin/app",
                          "app --worker " + std::to_string(i)});
    if (i < shape.heap_processes) heap_tables(**w, ids.back(), shape);
  }
  for (int64_t t = 0; t < shape.seconds; t += 60)
    (*w)->add_mark({t * 1000, (t / 60) % 2 ? "idle" : "load", "cli", ""});
  uint64_t rng = 1;
  int64_t end_ms = shape.seconds * 1000LL;
  for (int64_t t_ms = 0; t_ms <= end_ms; t_ms += 100) {
    for (int i = 0; i < shape.processes; ++i) {
      store::Sample s = bench::fleet_sample(ids[static_cast<size_t>(i)], i, t_ms, &rng);
      s.read_us = 30;
      (*w)->add_sample(s);
      if (t_ms % 1000 == 0) {
        store::DetailSample d = bench::fleet_detail(s);
        d.read_us = 250;
        (*w)->add_detail(d);
      }
      if (i < shape.heap_processes) write_heap(**w, s.process_id, t_ms, shape, t_ms == end_ms);
    }
    if (t_ms % 1000 == 0 && t_ms > 0) (*w)->add_recorder_stat({t_ms, 8000, 1000000, shape.processes, 3000, 2000});
    if (t_ms % 10000 == 0) {
      auto st = (*w)->flush();
      if (!st.is_ok()) return 1;
    }
  }
  return (*w)->finish(end_ms, 0, store::kNone).is_ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Shape shape;
  std::string keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--processes") shape.processes = std::atoi(argv[i + 1]);
    else if (a == "--seconds") shape.seconds = std::atoi(argv[i + 1]);
    else if (a == "--heap-processes") shape.heap_processes = std::atoi(argv[i + 1]);
    else if (a == "--sites") shape.sites = std::atoi(argv[i + 1]);
    else if (a == "--keep") keep = argv[i + 1];
  }
  std::string path = keep.empty() ? "/tmp/leakscope_report_speed_" + std::to_string(::getpid()) + ".db" : keep;
  if (keep.empty() || ::access(path.c_str(), R_OK) != 0) {
    if (write_capture(path, shape) != 0) return 1;
    std::printf("wrote %d processes x %d s at 10 Hz, %d x %d heap sites, to %s\n", shape.processes,
                shape.seconds, shape.heap_processes, shape.sites, path.c_str());
  }
  for (const char* format : {"html", "md"}) {
    report::ReportOptions o;
    o.format = format;
    o.output = path + "." + format;
    report::ReportResult r;
    Status s = report::write_report(path, o, &r);
    if (!s.is_ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    std::printf("report --format %s: %.2f s wall, %.1f MiB\n", format, r.seconds,
                static_cast<double>(r.bytes) / (1 << 20));
    if (keep.empty()) ::unlink(o.output.c_str());
  }
  if (keep.empty()) ::unlink(path.c_str());
  return 0;
}
