// Unit tests of `leakscope check`'s rule: which measured runs leak (exit 1), which do not
// (exit 0), which cannot tell (exit 125: what `git bisect run` skips), and how repeats vote.
#include <gtest/gtest.h>

#include <signal.h>

#include "analyze/check_decision.h"

namespace leakscope::analyze {
namespace {

constexpr double kKiB = 1024.0;
const double kLimit = 100 * kKiB / 60;  // 100 KiB/min

Measurement growing(double rate, State state = State::kSustainedGrowth) {
  Measurement m;
  m.measured = true;
  m.process = "app (pid 7)";
  m.series = "anon";
  m.state = state;
  m.reason = "a reason";
  m.rate = rate;
  m.ci_lo = rate * 0.9;
  m.ci_hi = rate * 1.1;
  m.recorded_s = 6;
  return m;
}

RunFacts recorded() {
  RunFacts f;
  f.recorded = true;
  return f;
}

TEST(CheckDecision, GrowthAboveTheLimitLeaks) {
  CheckDecision d = decide_run(recorded(), growing(1024 * kKiB / 60), kLimit);
  EXPECT_EQ(d.result, CheckResult::kLeaks);
  EXPECT_EQ(d.text,
            "app (pid 7) anon grows +1.00 MiB/min (95% CI +922 KiB/min to +1.10 MiB/min), above "
            "the limit +100 KiB/min");
}

TEST(CheckDecision, SlowOrNoGrowthIsOk) {
  EXPECT_EQ(decide_run(recorded(), growing(50 * kKiB / 60), kLimit).result, CheckResult::kOk);
  CheckDecision flat = decide_run(recorded(), growing(0, State::kNoGrowth), kLimit);
  EXPECT_EQ(flat.result, CheckResult::kOk);
  EXPECT_EQ(flat.text, "app (pid 7) anon: no-growth (a reason), no sustained growth above +100 KiB/min");
  // Growth that stopped, or a bounded warm-up, is not a leak however fast it was.
  EXPECT_EQ(decide_run(recorded(), growing(1e7, State::kStoppedGrowing), kLimit).result, CheckResult::kOk);
  EXPECT_EQ(decide_run(recorded(), growing(1e7, State::kBounded), kLimit).result, CheckResult::kOk);
}

TEST(CheckDecision, CannotTell) {
  Measurement short_run = growing(1e6, State::kSettling);
  short_run.need_more_s = 12;
  CheckDecision d = decide_run(recorded(), short_run, kLimit);
  EXPECT_EQ(d.result, CheckResult::kCannotTell);
  EXPECT_EQ(d.text, "too short to decide after 6.0 s: a reason; record about 12.0 s longer (--duration)");
  Measurement crashed = growing(1e6);
  crashed.exit_signal = SIGSEGV;
  crashed.recorded_s = 1.25;
  EXPECT_EQ(decide_run(recorded(), crashed, kLimit).text,
            "the program crashed (killed by SIGSEGV) after 1.2 s");
  RunFacts failed;
  failed.record_error = "cannot run './app' (no such file)";
  EXPECT_EQ(decide_run(failed, Measurement{}, kLimit).text,
            "the program could not be recorded: cannot run './app' (no such file)");
  Measurement none;
  none.why_not = "no process matched process 'overlay'";
  EXPECT_EQ(decide_run(recorded(), none, kLimit).result, CheckResult::kCannotTell);
  RunFacts late = recorded();
  late.timed_out = true;
  EXPECT_EQ(decide_run(late, growing(1e6), kLimit).result, CheckResult::kCannotTell);
}

TEST(CheckDecision, RepeatsVote) {
  CheckDecision leak{CheckResult::kLeaks, "L"}, ok{CheckResult::kOk, "O"},
      skip{CheckResult::kCannotTell, "S"};
  EXPECT_EQ(combine_runs({leak}).text, "L");
  EXPECT_EQ(combine_runs({leak, leak, ok}).result, CheckResult::kLeaks);
  EXPECT_EQ(combine_runs({leak, leak, ok}).text, "L (2 of 3 runs above the limit, 1 within)");
  EXPECT_EQ(combine_runs({ok, skip, ok}).result, CheckResult::kOk);
  EXPECT_EQ(combine_runs({leak, ok}).result, CheckResult::kCannotTell);
  EXPECT_EQ(combine_runs({leak, ok}).text, "the repeats disagree (1 of 2 runs above the limit, 1 within)");
  EXPECT_EQ(combine_runs({skip, skip}).result, CheckResult::kCannotTell);
  EXPECT_EQ(combine_runs({}).result, CheckResult::kCannotTell);
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
}

}  // namespace
}  // namespace leakscope::analyze
