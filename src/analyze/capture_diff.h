// `leakscope diff base.db candidate.db`: two captures of the same program compared. Each
// process of one is matched with the other's (the root by role; the rest by name, exec
// generation and order of appearance), each heap call site by its symbolised stack, and
// their sustained rates are compared: before/after with the verdict engine's 95%
// intervals, the difference with a two-sample z test on the two independent slope
// estimates (their standard errors already carry the Hamed–Rao autocorrelation
// correction), and "worse" for CI gates. See docs/experiment.md for why a z test rather
// than non-overlapping intervals.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "analyze/series_verdict.h"
#include "base/status.h"

namespace leakscope::analyze {

struct SideRate {
  bool present = false;
  State state = State::kNoGrowth;
  double rate = NAN, ci_lo = NAN, ci_hi = NAN;  // per second
};

struct RateChange {
  SideRate before, after;
  double diff = NAN;        // after - before
  double p = NAN;           // two-sided, of the z test
  bool significant = false; // p < alpha
  double change_pct = NAN;  // diff / |before|; NaN when before is not sustained growth
  bool worse = false;       // see DiffOptions::fail_if_worse_pct
};

// The z test on two independent estimates with 95% intervals: p of after - before.
double two_sample_p(const SideRate& before, const SideRate& after);

struct SeriesChange {
  std::string series;
  RateChange change;
};

struct ProcessDiff {
  std::string key;  // "root", or "comm (exec generation G, #N)"
  std::string comm_before, comm_after;
  int32_t pid_before = 0, pid_after = 0;  // 0: not in that capture
  std::vector<SeriesChange> series;
};

struct SiteDiff {
  std::string process_key;
  std::string stack;  // symbolised frames, innermost first
  RateChange change;
};

struct DiffOptions {
  std::vector<std::string> series;   // empty: anon, plus any series growing on either side
  double alpha = 0.05;
  double fail_if_worse_pct = NAN;    // NaN: nothing is judged worse
  size_t max_sites = 20;
};

struct CaptureDiff {
  std::string base, candidate;
  std::vector<ProcessDiff> processes;
  bool heap_compared = false;
  std::string heap_note;  // why heap sites were not compared
  // Processes whose sites were left out: no heap data on one side ("root: <path> ...").
  std::vector<std::string> heap_uncompared;
  std::vector<SiteDiff> sites;
  bool any_worse = false;  // a matched process got worse (sites are shown, not judged)
};

// A change is worse when the candidate grows significantly faster, is in sustained
// growth, and either the base was not (a new leak) or the rate rose by more than
// `fail_if_worse_pct` percent.
void judge_change(RateChange* c, double alpha, double fail_if_worse_pct);

StatusOr<CaptureDiff> diff_captures(const std::string& base, const std::string& candidate,
                                    const DiffOptions& options);

}  // namespace leakscope::analyze
