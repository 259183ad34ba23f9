// Synthetic series with known ground truth for the accuracy benchmark: the shapes real
// memory, fd and thread series take (warm-up, filling caches, GC sawtooth, steps, leaks
// that stop, leaks only while busy, autocorrelated noise), each with or without a slow
// linear leak of a known rate. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/series.h"

namespace leakscope::bench {

enum class Truth { kLeak, kNoLeak, kStopped };

struct ShapeInfo {
  std::string name;
  Truth truth;
  analyze::SeriesKind kind;
};

// Every shape the generator knows, in report order.
const std::vector<ShapeInfo>& all_shapes();

struct SyntheticRun {
  analyze::Series series;
  Truth truth = Truth::kNoLeak;
  double true_rate = 0;    // per second: the sustained (long-run average) leak rate
  double settle_s = 0;     // time after which a correct verdict is required (6 tau or so)
  double duration_s = 0;
  double level = 0;        // steady-state level (bytes or count)
};

struct GeneratorParams {
  double duration_s = 4 * 3600;
  double dt_s = 5;
  double min_leak_per_hour = 0.02;  // fraction of steady-state level
  double max_leak_per_hour = 0.20;
  double min_noise = 0.002;         // AR(1) noise sd, fraction of the level
  double max_noise = 0.01;
};

SyntheticRun generate(const ShapeInfo& shape, uint64_t seed, const GeneratorParams& params);

}  // namespace leakscope::bench
