// The decision of `leakscope check`: from one measured run to "no sustained growth above
// the limit" (exit 0), "growth above the limit" (exit 1) or "cannot tell" (exit 125, what
// `git bisect run` treats as skip), and from several repeats to one answer. Kept apart from
// the command so the rule is unit-tested on measurements without recording anything.
#pragma once

#include <string>
#include <vector>

#include "analyze/run_measure.h"

namespace leakscope::analyze {

enum class CheckResult { kOk = 0, kLeaks = 1, kCannotTell = 125 };

struct CheckDecision {
  CheckResult result = CheckResult::kCannotTell;
  std::string text;  // one sentence: the rate and why
};

// What happened to the recording itself, beside the measurement.
struct RunFacts {
  bool recorded = false;     // a capture was written
  std::string record_error;  // the recorder's error, when not
  bool timed_out = false;
  bool interrupted = false;
};

// One run. Growth above the limit needs the sustained-growth state and a rate above the
// limit; settling (too short to judge), a crash (killed by a signal) or a run that could
// not be recorded or measured cannot tell.
CheckDecision decide_run(const RunFacts& facts, const Measurement& m, double limit_per_s);

// Several repeats: the decisive runs vote (a crash or a too-short run abstains); a tie
// or no decisive run cannot tell.
CheckDecision combine_runs(const std::vector<CheckDecision>& runs);

// "SIGSEGV" for 11 etc.
std::string signal_name(int sig);

}  // namespace leakscope::analyze
