// `leakscope check --max-rate 100KiB/min -- ./app args`: does this build leak? Records the
// command (a child `leakscope run`, see analyze/run_recording.h), measures it with the
// verdict engine and exits 0 (no sustained growth above the limit), 1 (growth above it,
// rate printed) or 125 (cannot tell: too short, failed to start, crashed), the codes
// `git bisect run` understands. check's own usage errors exit 128 (and Ctrl-C 130) so
// that a bisection with a mistyped check stops at once instead of marking every commit bad.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "analyze/check_decision.h"
#include "analyze/rate_spec.h"
#include "analyze/run_recording.h"
#include "base/time_util.h"
#include "cli/cli_common.h"

namespace leakscope::cli {
namespace {

constexpr int kExitCheckUsage = 128;
constexpr int kExitInterrupted = 130;

struct CheckFlags {
  std::string max_rate;
  std::string process;
  std::string role;
  std::string series;
  std::string duration;
  std::string warmup;
  std::string interval = "100ms";
  std::string keep;
  int repeats = 1;
  std::vector<std::string> command;
};

Status usage(const std::string& what, const std::string& why, const std::string& hint) {
  return Status(StatusCode::kInvalidArgument, what, why, hint);
}

StatusOr<double> seconds_flag(const std::string& name, const std::string& text) {
  int64_t ns = 0;
  if (!parse_duration_ns(text, &ns) || ns <= 0)
    return usage("bad " + name + " '" + text + "'", "not a positive duration", "e.g. " + name + " 30s");
  return static_cast<double>(ns) / 1e9;
}

// The folder for the captures: --keep DIR, or a temporary one removed at the end.
class CaptureFolder {
 public:
  static StatusOr<std::unique_ptr<CaptureFolder>> make(const std::string& keep) {
    auto f = std::unique_ptr<CaptureFolder>(new CaptureFolder());
    if (!keep.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(keep, ec);
      if (ec) return usage("cannot create --keep folder " + keep, ec.message(), "give a writable folder");
      f->path_ = keep;
      return f;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "leakscope-check-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return errno_status(errno, "cannot create a temporary folder");
    f->path_ = tmpl;
    f->temporary_ = true;
    return f;
  }
  ~CaptureFolder() {
    std::error_code ec;
    if (temporary_) std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  CaptureFolder() = default;
  std::string path_;
  bool temporary_ = false;
};

int check_command(const CheckFlags& f) {
  if (f.command.empty())
    return fail(usage("no command to check", "nothing after --",
                      "usage: leakscope check --max-rate 100KiB/min -- ./app args"),
                kExitCheckUsage);
  auto limit = analyze::parse_rate(f.max_rate);
  if (!limit.is_ok()) return fail(limit.status().with_context("--max-rate"), kExitCheckUsage);
  analyze::MeasureSpec spec;
  spec.role = analyze::ProcessRole::kLargest;
  if (!f.process.empty() && !f.role.empty())
    return fail(usage("both --process and --role", "a check judges one selection", "keep one"),
                kExitCheckUsage);
  if (!f.process.empty()) {
    spec.role = analyze::ProcessRole::kName;
    spec.name = f.process;
  }
  if (!f.role.empty()) {
    auto r = analyze::parse_role(f.role, spec);
    if (!r.is_ok()) return fail(r.status().with_context("--role"), kExitCheckUsage);
    spec = *r;
  }
  // The limit's unit picks the series unless --series names one.
  if (!f.series.empty()) spec.series = f.series;
  else if (limit->unit == analyze::RateUnit::kFds) spec.series = "fds";
  else if (limit->unit == analyze::RateUnit::kThreads) spec.series = "threads";
  Status ss = analyze::check_series(spec);
  if (!ss.is_ok()) return fail(ss.with_context("--series"), kExitCheckUsage);
  if (!analyze::rate_fits_series(*limit, spec.series))
    return fail(usage("--max-rate " + f.max_rate + " does not fit --series " + spec.series,
                      "bytes for memory series, fds/min for fds, threads/min for threads",
                      "change one of them"),
                kExitCheckUsage);
  analyze::RecordingSpec rs;
  if (!f.duration.empty()) {
    auto d = seconds_flag("--duration", f.duration);
    if (!d.is_ok()) return fail(d.status(), kExitCheckUsage);
    rs.duration_s = *d;
    rs.timeout_s = *d + 60;
  }
  if (!f.warmup.empty()) {
    auto w = seconds_flag("--warmup", f.warmup);
    if (!w.is_ok()) return fail(w.status(), kExitCheckUsage);
    spec.warmup_s = *w;
  }
  if (spec.role == analyze::ProcessRole::kTree && spec.warmup_s > 0)
    return fail(usage("--warmup does not apply to --role tree", "it cuts a process's own series",
                      "check a process instead"),
                kExitCheckUsage);
  if (f.repeats < 1 || f.repeats > 100)
    return fail(usage("bad --repeats", "from 1 to 100", "e.g. --repeats 3"), kExitCheckUsage);
  int64_t ns = 0;
  if (!parse_duration_ns(f.interval, &ns) || ns < 10000000)
    return fail(usage("bad --interval '" + f.interval + "'", "not a duration of at least 10ms",
                      "e.g. --interval 100ms"),
                kExitCheckUsage);
  rs.interval = f.interval;

  // A program that is not there (a build that failed) is "cannot tell", not "leaks".
  auto resolved = analyze::resolve_command(f.command[0], "", "the command after --");
  if (!resolved.is_ok()) return fail(resolved.status(), kExitWrapperFailed);
  auto exe = analyze::self_exe();
  if (!exe.is_ok()) return fail(exe.status(), kExitWrapperFailed);
  auto folder = CaptureFolder::make(f.keep);
  if (!folder.is_ok()) return fail(folder.status(), kExitCheckUsage);
  analyze::catch_stop_signals();
  rs.leakscope_exe = *exe;
  rs.command = f.command;

  std::vector<analyze::CheckDecision> decisions;
  for (int i = 1; i <= f.repeats; ++i) {
    std::string stem = f.repeats > 1 ? "check-" + std::to_string(i) : "check";
    rs.capture = (*folder)->file(stem + ".db");
    rs.log = (*folder)->file(stem + ".log");
    auto outcome = analyze::record_in_child(rs, analyze::stop_requested);
    if (!outcome.is_ok()) return fail(outcome.status(), kExitWrapperFailed);
    analyze::RunFacts facts;
    facts.recorded = outcome->capture_written;
    facts.record_error = outcome->error_line;
    facts.timed_out = outcome->timed_out;
    facts.interrupted = outcome->interrupted;
    analyze::Measurement m;
    if (facts.recorded && !facts.interrupted) {
      auto measured = analyze::measure_capture(rs.capture, spec);
      if (!measured.is_ok()) {
        facts.recorded = false;
        facts.record_error = measured.status().message();
      } else {
        m = *measured;
      }
    }
    decisions.push_back(analyze::decide_run(facts, m, limit->per_s));
    if (f.repeats > 1)
      std::fprintf(stderr, "leakscope check: run %d of %d: %s\n", i, f.repeats,
                   decisions.back().text.c_str());
    if (facts.interrupted) {
      // Above 127: `git bisect run` stops instead of taking the commit for skipped.
      std::fprintf(stderr, "leakscope check: interrupted\n");
      return kExitInterrupted;
    }
  }
  analyze::CheckDecision d = analyze::combine_runs(decisions);
  const char* word = d.result == analyze::CheckResult::kLeaks ? "LEAKS"
                     : d.result == analyze::CheckResult::kOk  ? "OK"
                                                              : "CANNOT TELL";
  std::printf("leakscope check: %s: %s\n", word, d.text.c_str());
  std::fflush(stdout);
  return static_cast<int>(d.result);
}

}  // namespace

void add_check_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<CheckFlags>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Record a command and exit 0 (no leak above the limit), 1 (leaks) or 125 (cannot tell)");
  cmd->add_option("--max-rate", flags->max_rate,
                  "Highest acceptable sustained growth, e.g. 100KiB/min, 5fds/min")
      ->required();
  cmd->add_option("--process", flags->process, "Judge the process with this name (comm)");
  cmd->add_option("--role", flags->role,
                  "Judge root, largest (default: the fastest grower), tree or child:N");
  cmd->add_option("--series", flags->series,
                  "anon (default), file, shmem, swap, fds, threads; pss with --role tree");
  cmd->add_option("--duration", flags->duration,
                  "Stop the command after this long, e.g. 30s (default: when it exits)");
  cmd->add_option("--warmup", flags->warmup, "Ignore the first part of the run, e.g. 5s");
  cmd->add_option("--repeats", flags->repeats, "Run it N times; the runs vote")->capture_default_str();
  cmd->add_option("--interval", flags->interval, "Sampling period")->capture_default_str();
  cmd->add_option("--keep", flags->keep, "Keep the captures and logs in this folder");
  cmd->add_option("command", flags->command, "The command and its arguments (after --)")
      ->expected(-1);
  cmd->prefix_command();
  cmd->callback([cmd, flags, action] {
    for (const auto& extra : cmd->remaining()) flags->command.push_back(extra);
    for (const auto& word : command_after_dashes()) flags->command.push_back(word);
    *action = [flags] { return check_command(*flags); };
  });
}

}  // namespace leakscope::cli
