// `leakscope run -o cap.db -- cmd args`: launch a command and record its whole process tree
// until it exits. Exits with the command's own exit status (or dies of the same signal),
// so it can stand in for the command in scripts.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/time_util.h"
#include "cli/record_options.h"

namespace leakscope::cli {
namespace {

struct RunFlags {
  RecordFlags record;
  std::string mark_regex;
  CLI::Option* heap_option = nullptr;
  std::string heap;
  std::vector<std::string> command;
};

std::string default_output() {
  std::string stamp = format_utc(realtime_ns());
  for (auto& c : stamp)
    if (c == ':') c = '-';
  return "leakscope-" + stamp + ".db";
}

int run_command(const RunFlags& flags) {
  auto options = make_record_options(flags.record, default_output());
  if (!options.is_ok()) return fail(options.status());
  options->mark_regex = flags.mark_regex;
  if (flags.heap_option && flags.heap_option->count() > 0) {
    Status hs = collect::parse_heap_mode(flags.heap, &options->heap);
    if (!hs.is_ok()) return fail(hs);
    options->heap.quiet = flags.record.quiet;
    nlohmann::json j = nlohmann::json::parse(options->options_json, nullptr, false);
    if (j.is_object()) {
      j["heap"] = options->heap.sample_interval ? "sample" : "full";
      j["heap_sample_interval"] = options->heap.sample_interval;
      options->options_json = j.dump();
    }
  }
  if (flags.command.empty())
    return fail(Status(StatusCode::kInvalidArgument, "no command to run", "nothing after --",
                       "usage: leakscope run -o cap.db -- ./app args"));
  auto result = collect::record_command(flags.command, *options);
  if (!result.is_ok()) {
    const Status& s = result.status();
    if (s.what().rfind("cannot run", 0) == 0)
      return fail(s, s.code() == StatusCode::kNotFound ? kExitCommandNotFound : kExitCannotExecute);
    return fail(s, kExitWrapperFailed);
  }
  print_recording_footer(*result, flags.record);
  if (result->exit_signal > 0) {
    // Die of the same signal so our parent sees what the command did.
    std::fflush(nullptr);
    ::signal(result->exit_signal, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, result->exit_signal);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(result->exit_signal);
    return 128 + result->exit_signal;
  }
  return result->exit_code >= 0 ? result->exit_code : kExitWrapperFailed;
}

}  // namespace

void add_run_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "Launch a command and record its process tree");
  add_record_flags(cmd, &flags->record);
  cmd->add_option("--mark-regex", flags->mark_regex,
                  "Phase marks from the command's stdout lines (label = first group)");
  flags->heap_option =
      cmd->add_option("--heap", flags->heap,
                      "Also record allocations with call stacks in every process: --heap "
                      "(full) or --heap=sample:512k (Poisson sampling by bytes)")
          ->expected(0, 1);
  cmd->add_option("command", flags->command, "The command and its arguments (after --)")
      ->expected(-1);
  cmd->prefix_command();
  cmd->callback([cmd, flags, action] {
    for (const auto& extra : cmd->remaining()) flags->command.push_back(extra);
    for (const auto& word : command_after_dashes()) flags->command.push_back(word);
    *action = [flags] { return run_command(*flags); };
  });
}

}  // namespace leakscope::cli
