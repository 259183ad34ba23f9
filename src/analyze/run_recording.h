// One recording for `check` and `experiment`, made by a child `leakscope run` process
// (our own binary, /proc/self/exe) in its own process group. A child rather than
// record_command() in this process because the recorder makes its caller a child
// subreaper and takes over SIGINT/SIGTERM/SIGCHLD while it records, and with --duration it
// leaves the workload running when it stops: a separate process keeps every run's signal
// handling and reaping apart, Ctrl-C on the terminal reaches only us (the child group is
// not in the foreground), and killing the group afterwards ends whatever the workload left
// behind, so runs never overlap.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace leakscope::analyze {

// The executable that `command[0]` names, as the child will run it: a path with a '/' is
// taken relative to `cwd`; a bare name is looked up in PATH. The status explains a
// missing file, a directory or a file without execute permission; `where` names the
// setting the command came from, for the hint ("workload.command in fix.toml").
StatusOr<std::string> resolve_command(const std::string& argv0, const std::string& cwd,
                                      const std::string& where);

struct RecordingSpec {
  std::string leakscope_exe;         // our own binary (see self_exe())
  std::vector<std::string> command;  // the workload
  std::vector<std::string> env;      // "K=V" set on top of our environment
  std::string cwd;                   // empty: ours
  std::string capture;               // the capture file to write
  std::string log;                   // the workload's stdout/stderr and the recorder's errors
  double duration_s = 0;             // 0: until the workload exits
  double timeout_s = 0;              // 0: none; else the group is killed after this long
  std::string mark_regex;
  std::string interval = "100ms";
};

struct RecordingOutcome {
  int wait_status = -1;       // of the `leakscope run` child
  bool timed_out = false;     // killed after timeout_s
  bool interrupted = false;   // stopped because should_stop() said so
  bool capture_written = false;
  std::string error_line;     // the recorder's "leakscope: error: ..." line, if any
  double wall_s = 0;
};

// Path of the running leakscope binary.
StatusOr<std::string> self_exe();

// Records spec.command; polls `should_stop` (may be empty) about ten times a second.
StatusOr<RecordingOutcome> record_in_child(const RecordingSpec& spec,
                                           const std::function<bool()>& should_stop);

// Makes SIGINT, SIGTERM and SIGHUP set a flag instead of ending this process, so a
// command can stop its recording child, keep what is finished and say so; the flag is
// what stop_requested() returns (pass it as should_stop).
void catch_stop_signals();
bool stop_requested();

// The last line of `log` starting with "leakscope: error: ", without that prefix.
std::string last_error_line(const std::string& log);

}  // namespace leakscope::analyze
