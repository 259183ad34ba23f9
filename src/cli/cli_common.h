// Shared pieces of the subcommands: the one-line error format and exit codes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"

namespace leakscope::cli {

// Exit codes. `run` passes the target's own status through and, like env(1) and
// timeout(1), uses 125/126/127 for its own failures so they cannot be mistaken for the
// target's.
inline constexpr int kExitError = 2;          // bad input, unreadable capture, ...
inline constexpr int kExitGrowthFound = 3;    // analyze --fail-on-growth
inline constexpr int kExitWrapperFailed = 125;
inline constexpr int kExitCannotExecute = 126;
inline constexpr int kExitCommandNotFound = 127;

// Prints "leakscope: error: <what> (<why>; <what to do>)" to stderr.
void print_error(const Status& status);
int fail(const Status& status, int exit_code = kExitError);

using Action = std::function<int()>;

// The words after the first "--" on leakscope's command line (the target's argv).
std::vector<std::string>& command_after_dashes();
bool& saw_dashes();

void add_run_command(CLI::App& app, Action* action);
void add_attach_command(CLI::App& app, Action* action);
void add_mark_command(CLI::App& app, Action* action);
void add_triage_command(CLI::App& app, Action* action);
void add_export_command(CLI::App& app, Action* action);
void add_analyze_command(CLI::App& app, Action* action);
void add_sites_command(CLI::App& app, Action* action);
void add_report_command(CLI::App& app, Action* action);
void add_check_command(CLI::App& app, Action* action);
void add_experiment_command(CLI::App& app, Action* action);
void add_diff_command(CLI::App& app, Action* action);

}  // namespace leakscope::cli
