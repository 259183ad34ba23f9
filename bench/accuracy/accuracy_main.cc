// `leakscope_accuracy`: the accuracy benchmark of the verdict engine. By default the full
// form (many seeds per shape, time to a correct verdict at 24 checkpoints); `--reduced`
// is the CI form, fewer seeds, which exits 1 when a quality target is missed:
//   false positives <= 1% on no-leak shapes, recall >= 98% for leaks >= 2% of the
//   steady-state level per hour (judged at >= 6 time constants), median rate error <= 10%,
//   95% CI coverage >= 90%.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/accuracy/series_bench.h"

int main(int argc, char** argv) {
  using namespace leakscope::bench;
  SeriesBenchOptions o;
  bool reduced = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reduced") {
      reduced = true;
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
                   "[--checkpoints K]\n");
      return 2;
    }
  }
  if (reduced) {
    o.runs_per_shape = 60;
    o.checkpoints = 6;
  }
  auto scores = run_series_bench(o);
  std::string title = "synthetic series (" + std::to_string(o.runs_per_shape) +
                      " runs per shape, 4 h at 5 s, seed " + std::to_string(o.seed) + ")";
  std::fputs(format_scores(scores, title).c_str(), stdout);
  std::string missed = check_targets(totals(scores), Targets{});
  if (!missed.empty()) {
    std::fprintf(stdout, "TARGETS MISSED:\n%s", missed.c_str());
    return reduced ? 1 : 0;
  }
  std::puts("all quality targets met");
  return 0;
}
