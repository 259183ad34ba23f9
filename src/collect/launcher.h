// Starts the target command the way a shell would, so that it behaves exactly as without
// leakscope: same stdin/stderr, same signal mask and dispositions as leakscope inherited,
// same process group (terminal signals reach it directly). Only stdout is redirected, and
// only with --mark-regex, through a pipe that leakscope copies byte for byte.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "base/status.h"

namespace leakscope::collect {

struct LaunchOptions {
  std::vector<std::string> argv;
  bool capture_stdout = false;
  // The signal state to restore in the child (what leakscope itself was started with).
  sigset_t original_mask;
  struct sigaction original_sigpipe;
  // Extra environment entries ("NAME=value") set only in the child.
  std::vector<std::string> extra_env;
};

struct LaunchedProcess {
  pid_t pid = -1;
  ScopedFd stdout_read;  // valid when capture_stdout
};

// Forks and execs. Returns only after the exec succeeded, or with the exec's error (the
// child is reaped then), so "command not found" is reported before recording starts.
StatusOr<LaunchedProcess> launch(const LaunchOptions& options);

}  // namespace leakscope::collect
