// Synthetic shapes; see synthetic.h. Memory is in bytes, quantised to 4 KiB pages; noise
// is AR(1) with a lag-one correlation drawn per run from {0.5, 0.9, 0.98} at 5 s steps
// (correlation times from seconds to minutes), standard deviation 0.2-1% of the level by
// default (GeneratorParams).
#include "bench/accuracy/synthetic.h"

#include <cmath>
#include <random>

namespace leakscope::bench {
namespace {

using analyze::SeriesKind;
constexpr double kMiB = 1024.0 * 1024.0;

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  double log_uniform(double lo, double hi) { return std::exp(uniform(std::log(lo), std::log(hi))); }
  double normal() { return std::normal_distribution<double>(0, 1)(rng_); }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

// AR(1) noise with marginal standard deviation `sd`.
std::vector<double> ar_noise(Gen& g, size_t n, double phi, double sd) {
  std::vector<double> e(n);
  double x = g.normal() * sd;
  double innov = sd * std::sqrt(1 - phi * phi);
  for (size_t i = 0; i < n; ++i) {
    e[i] = x;
    x = phi * x + innov * g.normal();
  }
  return e;
}

}  // namespace

const std::vector<ShapeInfo>& all_shapes() {
  static const std::vector<ShapeInfo> shapes = {
      {"flat_noise", Truth::kNoLeak, SeriesKind::kBytes},
      {"warmup_flat", Truth::kNoLeak, SeriesKind::kBytes},
      {"cache_fill", Truth::kNoLeak, SeriesKind::kBytes},
      {"gc_sawtooth", Truth::kNoLeak, SeriesKind::kBytes},
      {"single_step", Truth::kNoLeak, SeriesKind::kBytes},
      {"fd_flat", Truth::kNoLeak, SeriesKind::kCount},
      {"leak_then_stop", Truth::kStopped, SeriesKind::kBytes},
      {"warmup_leak", Truth::kLeak, SeriesKind::kBytes},
      {"cache_fill_leak", Truth::kLeak, SeriesKind::kBytes},
      {"gc_sawtooth_leak", Truth::kLeak, SeriesKind::kBytes},
      {"phase_leak", Truth::kLeak, SeriesKind::kBytes},
      {"noisy_leak", Truth::kLeak, SeriesKind::kBytes},
      {"fd_leak", Truth::kLeak, SeriesKind::kCount},
      {"thread_leak", Truth::kLeak, SeriesKind::kCount},
  };
  return shapes;
}

SyntheticRun generate(const ShapeInfo& shape, uint64_t seed, const GeneratorParams& params) {
  Gen g(seed * 7919 + std::hash<std::string>{}(shape.name));
  SyntheticRun run;
  run.truth = shape.truth;
  run.duration_s = params.duration_s;
  const double d = params.duration_s;
  const size_t n = static_cast<size_t>(d / params.dt_s) + 1;
  analyze::Series& s = run.series;
  s.name = shape.kind == SeriesKind::kCount ? (shape.name == "thread_leak" ? "threads" : "fds")
                                            : "anon";
  s.source = "synthetic";
  s.kind = shape.kind;
  s.t.resize(n);
  s.v.resize(n);
  for (size_t i = 0; i < n; ++i) s.t[i] = static_cast<double>(i) * params.dt_s;

  if (shape.kind == SeriesKind::kCount) {
    // Counts: a base, short-lived extra fds/threads (requests in flight), and for leaks
    // one more kept every `period` seconds.
    double base = std::floor(g.uniform(8, 40));
    run.level = base;
    double period = shape.truth == Truth::kLeak ? g.uniform(60, 600) : 0;
    run.true_rate = period > 0 ? 1.0 / period : 0;
    run.settle_s = 0;
    double offset = g.uniform(0, period > 0 ? period : 1);
    for (size_t i = 0; i < n; ++i) {
      double busy = g.pick(4) == 0 ? g.pick(4) : 0;
      double leaked = period > 0 ? std::floor((s.t[i] + offset) / period) : 0;
      s.v[i] = base + busy + leaked;
    }
    return run;
  }

  double level = g.log_uniform(50, 800) * kMiB;
  run.level = level;
  double phis[] = {0.5, 0.9, 0.98};
  double phi = phis[g.pick(3)];
  double sd = g.uniform(params.min_noise, params.max_noise) * level;
  std::vector<double> noise = ar_noise(g, n, phi, sd);
  double leak = g.log_uniform(params.min_leak_per_hour, params.max_leak_per_hour) * level / 3600;
  bool leaking = shape.truth == Truth::kLeak;
  run.true_rate = leaking ? leak : 0;
  // Warm-up and caches: exponential approach with time constant tau <= duration / 6.
  double tau = g.uniform(d / 100, d / 6);
  double warm = g.uniform(0.3, 1.5) * level;
  double start = level - warm;
  const std::string& name = shape.name;
  double step_at = g.uniform(0.2, 0.7) * d, step = g.uniform(0.05, 0.3) * level;
  double stop_at = g.uniform(0.3, 0.6) * d;
  double period = g.uniform(d / 100, d / 20), amp = g.uniform(0.05, 0.3) * level;
  double phase = g.uniform(d / 40, d / 10);
  if (name == "warmup_flat" || name == "warmup_leak") {
    tau = g.uniform(d / 100, d / 20);
    run.settle_s = 6 * tau;
  } else if (name == "cache_fill" || name == "cache_fill_leak") {
    run.settle_s = 6 * tau;
  }
  if (name == "leak_then_stop") {
    // Stopped growing: the leak ran for a while at a rate worth noticing, then ended.
    run.true_rate = 0;
  }
  for (size_t i = 0; i < n; ++i) {
    double t = s.t[i];
    double v = level;
    if (name == "warmup_flat" || name == "warmup_leak" || name == "cache_fill" ||
        name == "cache_fill_leak") {
      v = start + warm * (1 - std::exp(-t / tau));
    } else if (name == "single_step") {
      v = level - step + (t >= step_at ? step : 0);
    } else if (name == "gc_sawtooth" || name == "gc_sawtooth_leak") {
      double ph = std::fmod(t, period) / period;
      v = level + amp * ph;  // ramps up, then a collection drops it back
    } else if (name == "leak_then_stop") {
      v = level + leak * std::min(t, stop_at);
    } else if (name == "phase_leak") {
      // Alternating active/idle phases of equal length; grows only while active.
      double cycles = std::floor(t / (2 * phase));
      double in_cycle = t - cycles * 2 * phase;
      double active_time = cycles * phase + std::min(in_cycle, phase);
      v = level + 2 * leak * active_time;
    }
    if (leaking && name != "phase_leak") v += leak * t;
    double noise_scale = name == "noisy_leak" ? 3.0 : 1.0;
    v += noise_scale * noise[i];
    s.v[i] = std::floor(v / 4096) * 4096;
  }
  return run;
}

}  // namespace leakscope::bench
