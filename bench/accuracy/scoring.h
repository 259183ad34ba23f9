// Scoring of verdicts against ground truth for the accuracy benchmark: per shape and
// overall false-positive rate, recall, median relative rate error, CI coverage and time
// to a correct verdict, and the pass/fail check against the quality targets.
#pragma once

#include <string>
#include <vector>

#include "bench/accuracy/synthetic.h"

namespace leakscope::bench {

struct RunScore {
  Truth truth = Truth::kNoLeak;
  std::string state;        // the verdict at the end of the run
  bool flagged = false;     // sustained-growth
  bool state_ok = false;    // the expected state exactly
  double rel_error = -1;    // |rate - true| / true, detected leaks only
  bool covered = false;     // true rate inside the CI, detected leaks only
  double time_to_correct_s = -1;  // -1: never correct and stable until the end
};

struct ShapeScore {
  std::string shape;
  Truth truth = Truth::kNoLeak;
  std::vector<RunScore> runs;
};

struct Totals {
  int no_leak_runs = 0, false_positives = 0;
  int leak_runs = 0, detected = 0;
  double median_rel_error = 0;
  double coverage = 0;
  double median_time_to_correct_s = -1;
};

Totals totals(const std::vector<ShapeScore>& shapes);
// The table, one line per shape and one overall.
std::string format_scores(const std::vector<ShapeScore>& shapes, const std::string& title);

struct Targets {
  double max_fp = 0.01, min_recall = 0.98, max_median_error = 0.10, min_coverage = 0.90;
};
// Empty when every target is met; else one line per target missed.
std::string check_targets(const Totals& t, const Targets& targets);

}  // namespace leakscope::bench
