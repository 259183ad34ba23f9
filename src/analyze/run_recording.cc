// A recording made by a child `leakscope run`; see run_recording.h for why a child.
#include "analyze/run_recording.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "base/file_util.h"
#include "base/scoped_fd.h"
#include "base/time_util.h"

extern char** environ;

namespace leakscope::analyze {
namespace {

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

std::string seconds_arg(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3fs", s);
  return buf;
}

void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  ::nanosleep(&ts, nullptr);
}

// Whether the child has exited, without reaping it: while it is a zombie its pid (and so
// its process group id) cannot be reused, so the group can still be signalled safely.
bool exited_unreaped(pid_t child) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  return ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == child;
}

// Asks the child's group to end (the recorder forwards SIGTERM to the workload and
// finishes the capture), waiting up to 3 s for the recorder to exit.
void ask_group_to_end(pid_t child) {
  ::kill(-child, SIGTERM);
  for (int i = 0; i < 30 && !exited_unreaped(child); ++i) sleep_ms(100);
}

}  // namespace

StatusOr<std::string> resolve_command(const std::string& argv0, const std::string& cwd,
                                      const std::string& where) {
  std::string hint = "check " + where;
  auto usable = [&](const std::string& path, std::string* why) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      *why = "no such file: " + path;
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      *why = path + " is a directory";
      return false;
    }
    if (::access(path.c_str(), X_OK) != 0) {
      *why = path + " is not executable";
      return false;
    }
    return true;
  };
  std::string why;
  if (argv0.find('/') != std::string::npos) {
    std::string path = argv0[0] == '/' || cwd.empty() ? argv0 : cwd + "/" + argv0;
    if (usable(path, &why)) return path;
    return Status(StatusCode::kNotFound, "cannot run '" + argv0 + "'", why, hint);
  }
  const char* env_path = std::getenv("PATH");
  std::string dirs = env_path ? env_path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on dir + "/" + argv0 here.
    std::string path = end > start ? dirs.substr(start, end - start) : std::string(".");
    path += '/';
    path.append(argv0);
    std::string ignored;
    if (usable(path, &ignored)) return path;
    start = end + 1;
  }
  return Status(StatusCode::kNotFound, "cannot run '" + argv0 + "'", "no such command in PATH",
                hint);
}

StatusOr<std::string> self_exe() {
  auto p = read_link("/proc/self/exe");
  if (!p.is_ok()) return p.status().with_context("finding the leakscope binary");
  return p;
}

void catch_stop_signals() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

bool stop_requested() { return g_stop != 0; }

std::string last_error_line(const std::string& log) {
  const std::string prefix = "leakscope: error: ";
  std::string found;
  size_t pos = 0;
  while (pos < log.size()) {
    size_t end = log.find('\n', pos);
    if (end == std::string::npos) end = log.size();
    if (log.compare(pos, prefix.size(), prefix) == 0)
      found = log.substr(pos + prefix.size(), end - pos - prefix.size());
    pos = end + 1;
  }
  return found;
}

StatusOr<RecordingOutcome> record_in_child(const RecordingSpec& spec,
                                           const std::function<bool()>& should_stop) {
  std::vector<std::string> args = {spec.leakscope_exe, "run", "-q", "--no-status", "-o",
                                   spec.capture, "--interval", spec.interval};
  if (spec.duration_s > 0) {
    args.push_back("--duration");
    args.push_back(seconds_arg(spec.duration_s));
  }
  if (!spec.mark_regex.empty()) {
    args.push_back("--mark-regex");
    args.push_back(spec.mark_regex);
  }
  args.push_back("--");
  args.insert(args.end(), spec.command.begin(), spec.command.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // The environment is built here: after fork only async-signal-safe calls are allowed.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& kv : spec.env) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::vector<std::string> env_words;
  for (const auto& [k, v] : env) env_words.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& w : env_words) envp.push_back(const_cast<char*>(w.c_str()));
  envp.push_back(nullptr);

  ::unlink(spec.capture.c_str());
  int log_fd = ::open(spec.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return errno_status(errno, "cannot create " + spec.log);
  ScopedFd log(log_fd);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return errno_status(errno, "cannot open /dev/null");
  ScopedFd devnull(null_fd);

  int64_t t0 = monotonic_ns();
  pid_t child = ::fork();
  if (child < 0) return errno_status(errno, "cannot fork");
  if (child == 0) {
    ::setpgid(0, 0);
    ::dup2(devnull.get(), STDIN_FILENO);
    ::dup2(log.get(), STDOUT_FILENO);
    ::dup2(log.get(), STDERR_FILENO);
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
      static const char msg[] = "leakscope: error: cannot enter the workload folder\n";
      ssize_t n = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
      (void)n;
      ::_exit(125);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(child, child);  // also here, so the group exists before we may signal it

  RecordingOutcome out;
  // The recorder stops by itself at --duration; the timeout is the safety net.
  for (;;) {
    if (exited_unreaped(child)) break;
    double elapsed = static_cast<double>(monotonic_ns() - t0) / 1e9;
    if (should_stop && should_stop()) {
      out.interrupted = true;
      ask_group_to_end(child);
      break;
    }
    if (spec.timeout_s > 0 && elapsed > spec.timeout_s) {
      out.timed_out = true;
      ask_group_to_end(child);
      break;
    }
    sleep_ms(50);
  }
  // Ends whatever is left: the workload the recorder leaves running at --duration, or a
  // recorder that did not stop when asked.
  ::kill(-child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  out.wait_status = status;
  out.wall_s = static_cast<double>(monotonic_ns() - t0) / 1e9;
  struct stat st;
  out.capture_written = ::stat(spec.capture.c_str(), &st) == 0 && st.st_size > 0;
  std::string text;
  if (read_file(spec.log, &text).is_ok()) out.error_line = last_error_line(text);
  return out;
}

}  // namespace leakscope::analyze
