// The series-level half of the accuracy benchmark: every synthetic shape, many seeds,
// judged by the same engine `leakscope analyze` runs, at the end of the run and at 24
// earlier checkpoints (for the time to a correct verdict).
#pragma once

#include <vector>

#include "bench/accuracy/scoring.h"

namespace leakscope::bench {

struct SeriesBenchOptions {
  int runs_per_shape = 200;
  int checkpoints = 24;  // 0: judge only at the end (no time to verdict)
  int threads = 2;
  uint64_t seed = 1;
  GeneratorParams gen;
};

std::vector<ShapeScore> run_series_bench(const SeriesBenchOptions& options);

}  // namespace leakscope::bench
