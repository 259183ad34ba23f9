// Target launching; see launcher.h.
#include "collect/launcher.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace leakscope::collect {

StatusOr<LaunchedProcess> launch(const LaunchOptions& options) {
  if (options.argv.empty())
    return Status(StatusCode::kInvalidArgument, "no command to run",
                  "nothing after --", "usage: leakscope run -o cap.db -- ./app args");
  int exec_err[2];
  if (::pipe2(exec_err, O_CLOEXEC) != 0) return errno_status(errno, "cannot create pipe");
  ScopedFd err_read(exec_err[0]), err_write(exec_err[1]);
  ScopedFd out_read, out_write;
  if (options.capture_stdout) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return errno_status(errno, "cannot create pipe");
    out_read.reset(p[0]);
    out_write.reset(p[1]);
  }
  // Build argv/envp before fork: the child must not allocate (another thread could hold the
  // allocator lock at fork time; leakscope is single-threaded today, but stay safe).
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  bool custom_env = !options.extra_env.empty();
  if (custom_env) {
    for (char** e = environ; *e; ++e) {
      bool overridden = false;
      for (const auto& x : options.extra_env) {
        size_t eq = x.find('=');
        if (std::strncmp(*e, x.c_str(), eq + 1) == 0) overridden = true;
      }
      if (!overridden) envp.push_back(*e);
    }
    for (const auto& x : options.extra_env) envp.push_back(const_cast<char*>(x.c_str()));
    envp.push_back(nullptr);
  }

  pid_t pid = ::fork();
  if (pid < 0) return errno_status(errno, "cannot fork");
  if (pid == 0) {
    if (options.capture_stdout) {
      ::dup2(out_write.get(), STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copy
    }
    ::sigaction(SIGPIPE, &options.original_sigpipe, nullptr);
    ::sigprocmask(SIG_SETMASK, &options.original_mask, nullptr);
    if (custom_env) environ = envp.data();
    ::execvp(argv[0], argv.data());
    int err = errno;
    ssize_t ignored = ::write(err_write.get(), &err, sizeof(err));
    (void)ignored;
    ::_exit(127);
  }
  err_write.reset();
  out_write.reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == sizeof(child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::string hint = child_errno == ENOENT ? "check the command name and PATH"
                       : child_errno == EACCES ? "check that the file is executable"
                                               : "check the command";
    return Status(child_errno == ENOENT ? StatusCode::kNotFound : StatusCode::kInvalidArgument,
                  "cannot run '" + options.argv[0] + "'", std::strerror(child_errno), hint);
  }
  LaunchedProcess out;
  out.pid = pid;
  out.stdout_read = std::move(out_read);
  return out;
}

}  // namespace leakscope::collect
