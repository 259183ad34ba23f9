// Process-tree discovery; see children.h.
#include "procfs/children.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/file_util.h"
#include "base/strings.h"
#include "procfs/proc_stat.h"

namespace leakscope::procfs {
namespace {

// Lists numeric entries of a /proc directory with getdents64.
Status list_numeric_dir(const std::string& path, std::vector<pid_t>* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "cannot open " + path);
  ScopedFd dir(fd);
  alignas(8) char buf[16384];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "cannot list " + path);
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      uint64_t v = 0;
      if (d->d_name[0] >= '1' && d->d_name[0] <= '9' && parse_u64(d->d_name, &v))
        out->push_back(static_cast<pid_t>(v));
      off += d->d_reclen;
    }
  }
  return Status::ok();
}

}  // namespace

void parse_children(std::string_view text, std::vector<pid_t>* out) {
  for (auto word : split(trim(text), ' ')) {
    uint64_t v = 0;
    if (!word.empty() && parse_u64(word, &v)) out->push_back(static_cast<pid_t>(v));
  }
}

Status list_children(pid_t pid, std::vector<pid_t>* out) {
  std::vector<pid_t> tids;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  RETURN_IF_ERROR(list_numeric_dir(task_dir, &tids));
  std::string text;
  bool any_file = false;
  for (pid_t tid : tids) {
    Status s = read_file(task_dir + "/" + std::to_string(tid) + "/children", &text);
    if (!s.is_ok()) continue;  // thread exited, or no CONFIG_PROC_CHILDREN
    any_file = true;
    parse_children(text, out);
  }
  if (!any_file && !tids.empty()) {
    // Distinguish "kernel lacks the file" from "all threads just exited".
    if (::access((task_dir + "/" + std::to_string(tids[0]) + "/children").c_str(), F_OK) != 0 &&
        ::access(task_dir.c_str(), F_OK) == 0)
      return Status(StatusCode::kUnsupported, "no /proc/PID/task/TID/children",
                    "kernel built without CONFIG_PROC_CHILDREN");
  }
  return Status::ok();
}

Status scan_all_processes(std::vector<PidParent>* out) {
  std::vector<pid_t> pids;
  RETURN_IF_ERROR(list_numeric_dir("/proc", &pids));
  std::string text;
  ProcStat st;
  for (pid_t pid : pids) {
    if (!read_file("/proc/" + std::to_string(pid) + "/stat", &text).is_ok()) continue;
    if (!parse_proc_stat(text, &st).is_ok()) continue;
    out->push_back({pid, st.ppid});
  }
  return Status::ok();
}

int64_t parse_loadavg_last_pid(std::string_view loadavg) {
  while (!loadavg.empty() && (loadavg.back() == '\n' || loadavg.back() == ' ')) loadavg.remove_suffix(1);
  size_t space = loadavg.rfind(' ');
  if (space == std::string_view::npos) return -1;
  std::string_view field = loadavg.substr(space + 1);
  if (field.empty() || field.size() > 18) return -1;
  int64_t v = 0;
  for (char c : field) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace leakscope::procfs
