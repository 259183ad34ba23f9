// End-to-end tests of `leakscope check`: the exit codes `git bisect run` relies on (0 no
// leak above the limit, 1 leaks, 125 cannot tell) on real programs, --duration ending a
// program that never exits (and everything it started), fds limits, repeats, and the
// one-line errors. The `git bisect run` test over a generated history is in bisect_test.cc.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace {

using leakscope::e2e::program;
using leakscope::e2e::run_command;

struct Result {
  int status = -1;
  std::string out, err;
  double seconds = 0;
};

Result check(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {leakscope::e2e::leakscope_bin(), "check"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_command(argv, "", 120, env);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {r.exit_code(), r.out, r.err, s};
}

TEST(CheckE2E, LeakAboveTheLimitExits1WithTheRate) {
  Result r = check({"--max-rate", "1MiB/min", "--", program("switchable_leaker"), "4"},
                   {"LEAK_B=1"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("leakscope check: LEAKS: leak_rate (pid ", 0), 0u) << r.out;
  // 1 MiB/s = 60 MiB/min.
  size_t at = r.out.find(") anon grows +");
  ASSERT_NE(at, std::string::npos) << r.out;
  size_t used = 0;
  double rate = std::stod(r.out.substr(at + 14), &used);
  EXPECT_NEAR(rate, 60, 3) << r.out;
  EXPECT_EQ(r.out.substr(at + 14 + used, 8), " MiB/min") << r.out;
  EXPECT_NE(r.out.find("above the limit +1.00 MiB/min"), std::string::npos) << r.out;
  // The same growth under a higher limit is fine.
  Result high = check({"--max-rate", "2MiB/s", "--process", "leak_rate", "--",
                       program("switchable_leaker"), "4"},
                      {"LEAK_B=1"});
  EXPECT_EQ(high.status, 0) << high.out << high.err;
  EXPECT_NE(high.out.find("within the limit +120 MiB/min"), std::string::npos) << high.out;
}

TEST(CheckE2E, NoLeakExits0AndDurationEndsTheProgram) {
  Result r = check({"--max-rate", "1MiB/min", "--", program("switchable_leaker"), "4", "8"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("leakscope check: OK: ", 0), 0u) << r.out;
  // A program that never exits is stopped after --duration, with its children.
  Result d = check({"--max-rate", "1MiB/min", "--duration", "3s", "--", "sh", "-c",
                    "sleep 1000 & sleep 1000"});
  EXPECT_EQ(d.status, 0) << d.out << d.err;
  EXPECT_LT(d.seconds, 15);
  Result left = [] {
    auto r = run_command({"pgrep", "-f", "sleep 1000"});
    return Result{r.exit_code(), r.out, r.err, 0};
  }();
  EXPECT_EQ(left.status, 1) << "still running: " << left.out;
}

TEST(CheckE2E, CannotTellExits125) {
  Result crash = check({"--max-rate", "1MiB/min", "--", "sh", "-c", "sleep 1; kill -SEGV $$"});
  EXPECT_EQ(crash.status, 125) << crash.out << crash.err;
  EXPECT_EQ(crash.out.rfind("leakscope check: CANNOT TELL: the program crashed (killed by SIGSEGV) after ", 0), 0u)
      << crash.out;
  Result brief = check({"--max-rate", "1MiB/min", "--", program("switchable_leaker"), "0.3"},
                       {"LEAK_A=1"});
  EXPECT_EQ(brief.status, 125) << brief.out << brief.err;
  EXPECT_EQ(brief.out.rfind("leakscope check: CANNOT TELL: too short to decide after ", 0), 0u)
      << brief.out;
  Result missing = check({"--max-rate", "1MiB/min", "--", "./no/such/app"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_EQ(missing.err,
            "leakscope: error: cannot run './no/such/app' (no such file: ./no/such/app; check "
            "the command after --)\n");
  EXPECT_EQ(missing.out, "");
}

TEST(CheckE2E, FdLimitAndRepeats) {
  // 20 fds/s = 1200 fds/min; the limit's unit picks the fds series (read every 5th tick,
  // so a run needs about 5 s of them).
  Result r = check({"--max-rate", "100fds/min", "--repeats", "2", "--", program("resource_leaker"),
                    "6", "20", "0"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("leakscope check: run 1 of 2: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("leakscope check: run 2 of 2: "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find(" fds grows +1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2 of 2 runs above the limit, 0 within)"), std::string::npos) << r.out;
}

TEST(CheckE2E, UsageErrorsStopABisection) {
  Result r = check({"--max-rate", "100", "--", "true"});
  EXPECT_EQ(r.status, 128);
  EXPECT_EQ(r.err,
            "leakscope: error: --max-rate: bad rate '100' (no unit; write it like 100KiB/min, "
            "2MiB/s, 5fds/min or 1threads/h)\n");
  Result mix = check({"--max-rate", "5fds/min", "--series", "anon", "--", "true"});
  EXPECT_EQ(mix.status, 128);
  EXPECT_EQ(mix.err,
            "leakscope: error: --max-rate 5fds/min does not fit --series anon (bytes for memory "
            "series, fds/min for fds, threads/min for threads; change one of them)\n");
  Result none = check({"--max-rate", "1MiB/min"});
  EXPECT_EQ(none.status, 128);
  EXPECT_EQ(none.err,
            "leakscope: error: no command to check (nothing after --; usage: leakscope check "
            "--max-rate 100KiB/min -- ./app args)\n");
}

TEST(CheckE2E, InterruptStopsTheProgramAndTheBisection) {
  pid_t pid = leakscope::e2e::spawn_background({leakscope::e2e::leakscope_bin(), "check",
                                                "--max-rate", "1MiB/min", "--", "sleep", "1001"});
  ::usleep(1500 * 1000);
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  auto left = run_command({"pgrep", "-f", "sleep 1001"});
  EXPECT_EQ(left.exit_code(), 1) << "still running: " << left.out;
}

}  // namespace
