// Series-level benchmark; see series_bench.h.
#include "bench/accuracy/series_bench.h"

#include <atomic>
#include <cmath>
#include <thread>

#include "analyze/series_verdict.h"

namespace leakscope::bench {
namespace {

using analyze::State;

bool correct(Truth truth, State s) {
  if (truth == Truth::kLeak) return s == State::kSustainedGrowth;
  return s != State::kSustainedGrowth && s != State::kSettling;
}

State expected_state(const ShapeInfo& shape) {
  if (shape.truth == Truth::kLeak) return State::kSustainedGrowth;
  if (shape.truth == Truth::kStopped) return State::kStoppedGrowing;
  if (shape.name == "flat_noise" || shape.name == "fd_flat" || shape.name == "gc_sawtooth")
    return State::kNoGrowth;
  return State::kBounded;  // warm-up, cache, step, sawtooth after warm-up
}

RunScore score_run(const ShapeInfo& shape, uint64_t seed, const SeriesBenchOptions& o) {
  SyntheticRun run = generate(shape, seed, o.gen);
  analyze::SeriesParams params;
  analyze::SeriesResult end = analyze::evaluate_series(run.series, params);
  RunScore r;
  r.truth = run.truth;
  r.state = analyze::state_name(end.state);
  r.flagged = end.state == State::kSustainedGrowth;
  State want = expected_state(shape);
  r.state_ok = end.state == want;
  if (run.truth == Truth::kLeak && r.flagged) {
    r.rel_error = std::fabs(end.rate - run.true_rate) / run.true_rate;
    r.covered = end.ci_lo <= run.true_rate && run.true_rate <= end.ci_hi;
  }
  if (o.checkpoints > 0) {
    // The earliest checkpoint from which every later verdict is correct.
    double first_ok = -1;
    for (int k = o.checkpoints; k >= 1; --k) {
      double t = run.duration_s * k / o.checkpoints;
      State s = k == o.checkpoints
                    ? end.state
                    : analyze::evaluate_series(analyze::truncate_series(run.series, t), params).state;
      if (!correct(run.truth, s)) break;
      first_ok = t;
    }
    r.time_to_correct_s = first_ok;
  }
  return r;
}

}  // namespace

std::vector<ShapeScore> run_series_bench(const SeriesBenchOptions& o) {
  const auto& shapes = all_shapes();
  std::vector<ShapeScore> out(shapes.size());
  struct Job {
    size_t shape;
    int run;
  };
  std::vector<Job> jobs;
  for (size_t s = 0; s < shapes.size(); ++s) {
    out[s].shape = shapes[s].name;
    out[s].truth = shapes[s].truth;
    out[s].runs.resize(static_cast<size_t>(o.runs_per_shape));
    for (int r = 0; r < o.runs_per_shape; ++r) jobs.push_back({s, r});
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t j = next++; j < jobs.size(); j = next++) {
      const Job& job = jobs[j];
      out[job.shape].runs[static_cast<size_t>(job.run)] =
          score_run(shapes[job.shape], o.seed * 100003 + static_cast<uint64_t>(job.run), o);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < std::max(1, o.threads); ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  return out;
}

}  // namespace leakscope::bench
