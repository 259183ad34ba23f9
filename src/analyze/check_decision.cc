// The rule of `leakscope check`; see check_decision.h and docs/experiment.md.
#include "analyze/check_decision.h"

#include <signal.h>

#include <cstdio>
#include <cstring>

#include "analyze/rate_spec.h"

namespace leakscope::analyze {
namespace {

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", s);
  return buf;
}

CheckDecision cannot(const std::string& why) { return {CheckResult::kCannotTell, why}; }

}  // namespace

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

CheckDecision decide_run(const RunFacts& facts, const Measurement& m, double limit) {
  if (facts.interrupted) return cannot("interrupted before the run finished");
  if (facts.timed_out) return cannot("the run did not finish in time and was stopped");
  if (!facts.recorded)
    return cannot("the program could not be recorded" +
                  (facts.record_error.empty() ? std::string() : ": " + facts.record_error));
  if (m.exit_signal > 0)
    return cannot("the program crashed (killed by " + signal_name(static_cast<int>(m.exit_signal)) +
                  ") after " + seconds(m.recorded_s));
  if (!m.measured) return cannot(m.why_not);
  std::string what = m.process + " " + m.series + " grows " + format_series_rate(m.rate, m.series);
  if (std::isfinite(m.ci_lo) && std::isfinite(m.ci_hi))
    what += " (95% CI " + format_series_rate(m.ci_lo, m.series) + " to " +
            format_series_rate(m.ci_hi, m.series) + ")";
  std::string limit_text = format_series_rate(limit, m.series);
  if (m.state == State::kSettling) {
    std::string more = m.need_more_s > 0 ? "; record about " + seconds(m.need_more_s) +
                                               " longer (--duration)"
                                         : "; record longer (--duration)";
    return cannot("too short to decide after " + seconds(m.recorded_s) + ": " + m.reason + more);
  }
  if (m.state == State::kSustainedGrowth && m.rate > limit)
    return {CheckResult::kLeaks, what + ", above the limit " + limit_text};
  if (m.state == State::kSustainedGrowth)
    return {CheckResult::kOk, what + ", within the limit " + limit_text};
  return {CheckResult::kOk, m.process + " " + m.series + ": " + state_name(m.state) + " (" +
                                m.reason + "), no sustained growth above " + limit_text};
}

CheckDecision combine_runs(const std::vector<CheckDecision>& runs) {
  if (runs.empty()) return cannot("no run");
  if (runs.size() == 1) return runs[0];
  size_t leaks = 0, ok = 0;
  const CheckDecision* first_leak = nullptr;
  const CheckDecision* first_ok = nullptr;
  for (const auto& r : runs) {
    if (r.result == CheckResult::kLeaks) {
      ++leaks;
      if (!first_leak) first_leak = &r;
    } else if (r.result == CheckResult::kOk) {
      ++ok;
      if (!first_ok) first_ok = &r;
    }
  }
  std::string votes = " (" + std::to_string(leaks) + " of " + std::to_string(runs.size()) +
                      " runs above the limit, " + std::to_string(ok) + " within)";
  if (leaks > ok) return {CheckResult::kLeaks, first_leak->text + votes};
  if (ok > leaks) return {CheckResult::kOk, first_ok->text + votes};
  if (leaks == 0) return cannot(runs[0].text);
  return cannot("the repeats disagree" + votes);
}

}  // namespace leakscope::analyze
