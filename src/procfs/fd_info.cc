// /proc/PID/fd listing and classification; see fd_info.h.
#include "procfs/fd_info.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <memory>

#include "base/strings.h"

namespace leakscope::procfs {
namespace {

// "socket:[123]" -> 123 when `text` is `prefix` followed by "[digits]".
bool bracketed_inode(std::string_view text, std::string_view prefix, uint64_t* inode) {
  if (!starts_with(text, prefix)) return false;
  std::string_view rest = text.substr(prefix.size());
  if (rest.size() < 3 || rest.front() != '[' || rest.back() != ']') return false;
  std::string_view digits = rest.substr(1, rest.size() - 2);
  uint64_t v = 0;
  if (!parse_u64(digits, &v) || std::to_string(v).size() != digits.size()) return false;
  *inode = v;
  return true;
}

FdType anon_inode_type(std::string_view name) {
  if (name == "eventfd") return FdType::kEventfd;
  if (name == "eventpoll") return FdType::kEventpoll;
  if (name == "timerfd") return FdType::kTimerfd;
  if (name == "signalfd") return FdType::kSignalfd;
  if (name == "inotify") return FdType::kInotify;
  if (name == "io_uring") return FdType::kIoUring;
  if (name == "pidfd") return FdType::kPidfd;
  return FdType::kOtherAnonInode;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr std::string_view kNamespacePrefixes[] = {"net:[",  "mnt:[",  "uts:[",    "ipc:[",
                                                   "pid:[",  "user:[", "cgroup:[", "time:["};

}  // namespace

const char* fd_type_name(FdType type) {
  switch (type) {
    case FdType::kFile: return "file";
    case FdType::kDirectory: return "directory";
    case FdType::kDeleted: return "deleted_file";
    case FdType::kMemfd: return "memfd";
    case FdType::kDevice: return "device";
    case FdType::kSocket: return "socket";
    case FdType::kPipe: return "pipe";
    case FdType::kEventfd: return "eventfd";
    case FdType::kEventpoll: return "eventpoll";
    case FdType::kTimerfd: return "timerfd";
    case FdType::kSignalfd: return "signalfd";
    case FdType::kInotify: return "inotify";
    case FdType::kIoUring: return "io_uring";
    case FdType::kPidfd: return "pidfd";
    case FdType::kOtherAnonInode: return "other_anon_inode";
    case FdType::kNamespace: return "namespace";
    case FdType::kOther: return "other";
  }
  return "other";
}

FdLink classify_fd_link(std::string_view target) {
  FdLink link;
  if (bracketed_inode(target, "socket:", &link.inode)) {
    link.type = FdType::kSocket;
  } else if (bracketed_inode(target, "pipe:", &link.inode)) {
    link.type = FdType::kPipe;
  } else if (starts_with(target, "anon_inode:")) {
    std::string_view name = target.substr(11);
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
      name = name.substr(1, name.size() - 2);
    link.anon_name = std::string(name);
    link.type = anon_inode_type(name);
  } else if (starts_with(target, "pidfd:")) {
    link.type = FdType::kPidfd;
  } else if (starts_with(target, "/memfd:")) {
    link.type = FdType::kMemfd;
  } else if (starts_with(target, "/")) {
    if (ends_with(target, " (deleted)")) {
      link.type = FdType::kDeleted;
    } else if (starts_with(target, "/dev/") && !starts_with(target, "/dev/shm/") &&
               !starts_with(target, "/dev/mqueue/")) {
      link.type = FdType::kDevice;
    } else {
      link.type = FdType::kFile;
    }
  } else {
    for (std::string_view prefix : kNamespacePrefixes) {
      if (starts_with(target, prefix)) link.type = FdType::kNamespace;
    }
  }
  return link;
}

Status list_fds(pid_t pid, std::vector<FdEntry>* out) {
  out->clear();
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  int raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) return errno_status(errno, "cannot open " + path);
  // fdopendir owns the fd from here on; closedir releases both.
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(raw), &::closedir);
  if (!dir) {
    int err = errno;
    ::close(raw);
    return errno_status(err, "cannot list " + path);
  }
  char link[PATH_MAX];
  errno = 0;
  while (const struct dirent* d = ::readdir(dir.get())) {
    uint64_t fd_number = 0;
    if (!parse_u64(d->d_name, &fd_number) || fd_number > INT_MAX) continue;
    ssize_t len = ::readlinkat(::dirfd(dir.get()), d->d_name, link, sizeof(link));
    if (len < 0) {
      if (errno == ENOENT) continue;  // closed while we were listing
      return errno_status(errno, "cannot read link " + path + "/" + d->d_name);
    }
    FdEntry e;
    e.fd = static_cast<int>(fd_number);
    e.target.assign(link, static_cast<size_t>(len));
    e.link = classify_fd_link(e.target);
    // The text cannot tell a directory, a FIFO or a device node from a file: ask stat,
    // which follows the magic link to the open file itself.
    struct stat st;
    if (e.link.type == FdType::kFile && ::fstatat(::dirfd(dir.get()), d->d_name, &st, 0) == 0) {
      if (S_ISDIR(st.st_mode)) e.link.type = FdType::kDirectory;
      else if (S_ISFIFO(st.st_mode)) e.link.type = FdType::kPipe;
      else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) e.link.type = FdType::kDevice;
      else if (S_ISSOCK(st.st_mode)) e.link.type = FdType::kSocket;
    }
    out->push_back(std::move(e));
    errno = 0;
  }
  if (errno != 0) return errno_status(errno, "cannot list " + path);
  return Status::ok();
}

FdCounts count_fds(const std::vector<FdEntry>& fds) {
  FdCounts c;
  for (const auto& e : fds) ++c.by_type[static_cast<size_t>(e.link.type)];
  c.total = static_cast<int>(fds.size());
  return c;
}

}  // namespace leakscope::procfs
