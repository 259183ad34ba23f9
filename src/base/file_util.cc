// Plain-syscall file reading for /proc; see file_util.h.
#include "base/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace leakscope {

StatusOr<ScopedFd> open_readonly(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "cannot open " + path);
  return ScopedFd(fd);
}

Status pread_all(int fd, std::string* out, const std::string& what, ReadEnd end) {
  if (end == ReadEnd::kShortReadIsEnd) {
    // The per-tick files (stat, statm, status) are small: read them into the stack and
    // copy what came, instead of zero-filling a buffer that a large maps read once grew.
    char small[4096];
    ssize_t n;
    do n = ::pread(fd, small, sizeof(small), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      int err = errno;
      out->clear();
      return errno_status(err, "cannot read " + what);
    }
    if (static_cast<size_t>(n) < sizeof(small)) {
      out->assign(small, static_cast<size_t>(n));
      return Status::ok();
    }
  }
  if (out->capacity() < 4096) out->reserve(4096);
  out->resize(out->capacity());
  size_t used = 0;
  for (;;) {
    ssize_t n = ::pread(fd, out->data() + used, out->size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      out->clear();
      return errno_status(err, "cannot read " + what);
    }
    if (n == 0) break;
    size_t wanted = out->size() - used;
    used += static_cast<size_t>(n);
    // Single-record /proc files (stat, statm, status) are rendered whole on each read, so
    // a short read is the end: skip the read() that would only return 0. Multi-record
    // files (smaps, maps, net/*) come about a page per read and must be read to EOF.
    if (static_cast<size_t>(n) < wanted && end == ReadEnd::kShortReadIsEnd) break;
    if (used == out->size()) out->resize(out->size() * 2);
  }
  out->resize(used);
  return Status::ok();
}

Status read_file(const std::string& path, std::string* out) {
  auto fd = open_readonly(path);
  if (!fd.is_ok()) return fd.status();
  return pread_all(fd->get(), out, path);
}

StatusOr<std::string> read_file(const std::string& path) {
  std::string out;
  RETURN_IF_ERROR(read_file(path, &out));
  return out;
}

StatusOr<std::string> read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
  if (n < 0) return errno_status(errno, "cannot read link " + path);
  return std::string(buf, static_cast<size_t>(n));
}

StatusOr<int> count_dir_entries(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "cannot open directory " + path);
  ScopedFd dir(fd);
  return count_dir_entries(dir.get());
}

StatusOr<int> count_dir_entries(int dir_fd) {
  if (::lseek(dir_fd, 0, SEEK_SET) < 0) return errno_status(errno, "cannot rewind directory");
  alignas(8) char buf[8192];
  int count = 0;
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir_fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "cannot list directory");
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      const char* name = d->d_name;
      bool dot = name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0));
      if (!dot) ++count;
      off += d->d_reclen;
    }
  }
  return count;
}

}  // namespace leakscope
