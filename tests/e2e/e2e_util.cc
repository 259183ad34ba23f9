// End-to-end test helpers; see e2e_util.h.
#include "e2e_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

extern char** environ;

namespace leakscope::e2e {

bool CommandResult::exited() const { return WIFEXITED(status); }
int CommandResult::exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
int CommandResult::term_signal() const { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          double timeout_s, const std::vector<std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) std::abort();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  if (input.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    int nfds = in[1] >= 0 ? 3 : 2;
    int n = poll(fds, nfds, 100);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      break;
    }
    if (n <= 0) continue;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof(buf));
      if (got > 0) (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(got));
      else if (got == 0) (i == 0 ? out_open : err_open) = false;
    }
    if (nfds == 3 && (fds[2].revents & (POLLOUT | POLLERR))) {
      ssize_t w = write(in[1], input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 || written == input.size()) {
        close(in[1]);
        in[1] = -1;
      }
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  close(err[0]);
  waitpid(pid, &r.status, 0);
  return r;
}

pid_t spawn_background(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string leakscope_bin() { return LEAKSCOPE_BIN; }
std::string program(const std::string& name) {
  return std::string(LEAKSCOPE_TEST_PROGRAMS_DIR) + "/" + name;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "leakscope-e2e-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  if (!made) std::abort();
  dir_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

double ols_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double n = static_cast<double>(x.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace leakscope::e2e
