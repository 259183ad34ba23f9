// `leakscope_analyze_speed`: how long `leakscope analyze` takes on a large capture —
// 100 processes recorded for 1 hour at 10 Hz (3.6 M cheap-tier rows, 360 k PSS rows),
// written with the real CaptureWriter. Prints the time of the analysis alone (the issue's
// target is under 5 s). A benchmark, not a timed test.
//   leakscope_analyze_speed [--processes N] [--seconds S] [--keep PATH]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "analyze/verdict.h"
#include "store/capture_reader.h"
#include "bench/common/fleet_series.h"
#include "store/capture_writer.h"

using namespace leakscope;

namespace {

double cpu_seconds() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int write_capture(const std::string& path, int processes, int seconds) {
  store::RunInfo run;
  run.mode = "run";
  run.command = "speed";
  run.argv = {"speed"};
  run.tick_ms = 100;
  run.mem_total = 64LL << 30;
  run.options_json = "{}";
  auto w = store::CaptureWriter::create(path, run);
  if (!w.is_ok()) {
    std::fprintf(stderr, "%s\n", w.status().message().c_str());
    return 1;
  }
  std::vector<int64_t> ids;
  for (int i = 0; i < processes; ++i) {
    store::ProcessInfo p;
    p.pid = 1000 + i;
    p.start_ticks = static_cast<uint64_t>(i);
    p.start_ms = 0;
    p.parent_id = i == 0 ? store::kNone : ids[0];
    p.is_root = i == 0;
    ids.push_back((*w)->add_process(p));
    (*w)->add_generation({ids.back(), 0, 0, "worker" + std::to_string(i), "/bin/worker", "worker"});
  }
  uint64_t rng = 1;
  for (int64_t t_ms = 0; t_ms <= seconds * 1000LL; t_ms += 100) {
    for (int i = 0; i < processes; ++i) {
      store::Sample s = bench::fleet_sample(ids[static_cast<size_t>(i)], i, t_ms, &rng);
      (*w)->add_sample(s);
      if (t_ms % 1000 == 0) (*w)->add_detail(bench::fleet_detail(s));
    }
    if (t_ms % 10000 == 0) {
      auto st = (*w)->flush();
      if (!st.is_ok()) return 1;
    }
  }
  return (*w)->finish(seconds * 1000LL, 0, store::kNone).is_ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int processes = 100, seconds = 3600;
  std::string keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--processes") processes = std::atoi(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atoi(argv[i + 1]);
    else if (a == "--keep") keep = argv[i + 1];
  }
  std::string path = keep.empty() ? "/tmp/leakscope_speed_" + std::to_string(::getpid()) + ".db" : keep;
  if (keep.empty() || ::access(path.c_str(), R_OK) != 0) {
    auto t0 = std::chrono::steady_clock::now();
    if (write_capture(path, processes, seconds) != 0) return 1;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %d processes x %d s at 10 Hz to %s in %.1f s\n", processes, seconds,
                path.c_str(), s);
  }
  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = cpu_seconds();
  auto reader = store::CaptureReader::open(path);
  if (!reader.is_ok()) return 1;
  analyze::AnalyzeOptions o;
  o.capture_path = path;
  auto v = analyze::analyze_capture(*reader, o);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  if (!v.is_ok()) {
    std::fprintf(stderr, "%s\n", v.status().message().c_str());
    return 1;
  }
  int growing = 0;
  for (const auto& p : v->processes) growing += p.state == analyze::State::kSustainedGrowth;
  // Wall time depends on what else the machine runs; CPU time (two reader threads) does not.
  std::printf("analyze: %.2f s wall, %.2f s CPU for %zu processes (%d with sustained growth; "
              "expected %d)\n",
              s, cpu, v->processes.size(), growing, (processes + 9) / 10 + (processes + 23) / 25);
  if (keep.empty()) ::unlink(path.c_str());
  return 0;
}
