// The real-workload half of the accuracy benchmark: bench/accuracy/workloads/workload.c
// run under `leakscope run` in each of its modes (compressed time: seconds, not hours),
// then judged by analyze_capture. Ground truth comes from the program's construction.
#pragma once

#include <string>
#include <vector>

namespace leakscope::bench {

struct RealScore {
  std::string mode;
  std::string expected;     // the state the key series must get
  std::string state;        // what it got
  std::string key;          // "pid-role series", e.g. "root anon"
  bool leak = false;
  bool state_ok = false;
  bool false_positive = false;  // sustained growth found anywhere in a no-leak workload
  double true_rate = 0, rate = 0, ci_lo = 0, ci_hi = 0;
  std::string error;        // recording or analysis failure
};

std::vector<RealScore> run_real_bench(const std::vector<std::string>& modes, double seconds,
                                      int threads);
std::string format_real_scores(const std::vector<RealScore>& scores);
// Every mode the workload program has, in report order.
const std::vector<std::string>& all_workload_modes();

}  // namespace leakscope::bench
