// Helpers for end-to-end tests: run a command with given stdin, collect its exit status,
// stdout and stderr; temp folders; paths of the binaries under test.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace leakscope::e2e {

struct CommandResult {
  int status = -1;  // raw wait status
  std::string out;
  std::string err;
  bool exited() const;
  int exit_code() const;  // -1 if killed by a signal
  int term_signal() const;  // 0 if exited
};

// Runs argv (argv[0] looked up in PATH) with `input` on stdin; kills it after timeout_s.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "",
                          double timeout_s = 60, const std::vector<std::string>& env = {});

// Starts argv in the background (stdio to /dev/null); returns its pid.
pid_t spawn_background(const std::vector<std::string>& argv);

std::string leakscope_bin();
std::string program(const std::string& name);  // tests/programs/<name>

// A fresh folder removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// Ordinary least squares slope of y over x (for checking known rates in tests).
double ols_slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace leakscope::e2e
