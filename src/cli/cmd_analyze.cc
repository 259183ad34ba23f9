// `leakscope analyze cap.db`: the verdict on a capture, as a human summary or (--json) in
// the versioned schema of docs/verdict-schema.md. --fail-on-growth exits 3 when sustained
// growth is found, for CI; --at evaluates with only the data up to that time.
#include <cstdio>
#include <memory>

#include "analyze/verdict.h"
#include "cli/cli_common.h"

namespace leakscope::cli {
namespace {

struct AnalyzeFlags {
  std::string capture;
  bool json = false;
  bool fail_on_growth = false;
  std::vector<int32_t> pids;
  std::vector<std::string> series;
  double at_s = -1;
};

const char* kSeriesNames[] = {"pss", "anon", "file", "shmem", "swap", "fds", "threads"};

int analyze_command(const AnalyzeFlags& f) {
  for (const auto& name : f.series) {
    bool known = false;
    for (const char* k : kSeriesNames) known = known || name == k;
    if (!known)
      return fail(Status(StatusCode::kInvalidArgument, "unknown --series '" + name + "'",
                         "not a series leakscope judges",
                         "use pss, anon, file, shmem, swap, fds or threads"));
  }
  if (f.at_s != -1 && f.at_s < 0)
    return fail(Status(StatusCode::kInvalidArgument, "bad --at", "a negative time",
                       "give seconds since the recording started, e.g. --at 60"));
  auto reader = store::CaptureReader::open(f.capture);
  if (!reader.is_ok()) return fail(reader.status());
  analyze::AnalyzeOptions o;
  o.capture_path = f.capture;
  o.at_s = f.at_s;
  o.pids = f.pids;
  o.series = f.series;
  auto verdict = analyze::analyze_capture(*reader, o);
  if (!verdict.is_ok()) return fail(verdict.status().with_context("analyzing " + f.capture));
  if (!f.pids.empty() && verdict->processes.empty())
    return fail(Status(StatusCode::kNotFound, "no process with the given --pid in " + f.capture,
                       "the capture has no such pid (or it started after --at)",
                       "list them with `leakscope export " + f.capture + " --table process`"));
  if (f.json) {
    std::string text = analyze::verdict_to_json(*verdict).dump(2);
    std::fputs(text.c_str(), stdout);
    std::fputc('\n', stdout);
  } else {
    std::fputs(analyze::render_verdict_text(*verdict).c_str(), stdout);
  }
  std::fflush(stdout);
  return f.fail_on_growth && verdict->sustained_growth_found ? kExitGrowthFound : 0;
}

}  // namespace

void add_analyze_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<AnalyzeFlags>();
  CLI::App* cmd = app.add_subcommand("analyze", "Verdict on a capture: is anything really leaking?");
  cmd->add_option("capture", flags->capture, "Capture file")->required();
  cmd->add_flag("--json", flags->json, "Machine-readable verdict (docs/verdict-schema.md)");
  cmd->add_flag("--fail-on-growth", flags->fail_on_growth,
                "Exit with status 3 when sustained growth is found");
  cmd->add_option("--pid", flags->pids, "Judge only this process (repeatable)");
  cmd->add_option("--series", flags->series,
                  "Judge only this series: pss, anon, file, shmem, swap, fds, threads (repeatable)");
  cmd->add_option("--at", flags->at_s, "Evaluate as of this time (seconds since the start)");
  cmd->callback([flags, action] { *action = [flags] { return analyze_command(*flags); }; });
}

}  // namespace leakscope::cli
