// `leakscope_accuracy`: the accuracy benchmark of the verdict engine. By default the full
// form (many seeds per shape, time to a correct verdict at 24 checkpoints); `--reduced`
// is the CI form, fewer seeds, which exits 1 when a quality target is missed; `--real`
// adds the real workload programs (bench/accuracy/workloads) recorded with `leakscope run`:
//   false positives <= 1% on no-leak shapes, recall >= 98% for leaks >= 2% of the
//   steady-state level per hour (judged at >= 6 time constants), median rate error <= 10%,
//   95% CI coverage >= 90%.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/accuracy/real_bench.h"
#include "bench/accuracy/series_bench.h"

int main(int argc, char** argv) {
  using namespace leakscope::bench;
  SeriesBenchOptions o;
  bool reduced = false, real = false;
  double real_seconds = 20;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reduced") {
      reduced = true;
    } else if (a == "--hard") {
      // Stress form: half the observation (2 h) and noise up to 3% of the level.
      o.gen.duration_s = 2 * 3600;
      o.gen.min_noise = 0.005;
      o.gen.max_noise = 0.03;
    } else if (a == "--real") {
      real = true;
    } else if (a == "--real-seconds" && i + 1 < argc) {
      real_seconds = std::atof(argv[++i]);
    } else if (a == "--runs" && i + 1 < argc) {
      o.runs_per_shape = std::atoi(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      o.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--threads" && i + 1 < argc) {
      o.threads = std::atoi(argv[++i]);
    } else if (a == "--checkpoints" && i + 1 < argc) {
      o.checkpoints = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: leakscope_accuracy [--reduced] [--runs N] [--seed S] [--threads T] "
                   "[--checkpoints K] [--hard] [--real [--real-seconds S]]\n");
      return 2;
    }
  }
  if (reduced) {
    o.runs_per_shape = 60;
    o.checkpoints = 6;
  }
  auto scores = run_series_bench(o);
  std::string title = "synthetic series (" + std::to_string(o.runs_per_shape) + " runs per shape, " +
                      std::to_string(static_cast<int>(o.gen.duration_s / 3600)) + " h at 5 s, noise " +
                      std::to_string(static_cast<int>(o.gen.max_noise * 1000) / 10.0).substr(0, 3) +
                      "% of level at most, seed " + std::to_string(o.seed) + ")";
  std::fputs(format_scores(scores, title).c_str(), stdout);
  bool real_ok = true;
  if (real) {
    // Real programs: every workload must get its expected state, and no-leak workloads no
    // sustained growth anywhere.
    auto rs = run_real_bench(all_workload_modes(), real_seconds, o.threads);
    std::fputs(("\n" + format_real_scores(rs)).c_str(), stdout);
    for (const auto& r : rs) real_ok = real_ok && r.error.empty() && r.state_ok && !r.false_positive;
  }
  std::string missed = check_targets(totals(scores), Targets{});
  if (!real_ok) missed += "a real workload got a wrong verdict\n";
  if (!missed.empty()) {
    std::fprintf(stdout, "TARGETS MISSED:\n%s", missed.c_str());
    return reduced ? 1 : 0;
  }
  std::puts("all quality targets met");
  return 0;
}
