// Report and export output; see output_file.h.
#include "report/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace leakscope::report {
namespace {
constexpr size_t kBufferSize = 1 << 20;
}

StatusOr<OutputFile> OutputFile::create(const std::string& path) {
  OutputFile f;
  f.path_ = path;
  if (path == "-") {
    f.to_stdout_ = true;
    return f;
  }
  f.tmp_ = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(f.tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno_status(errno, "cannot write " + path, "check that its folder exists and is writable");
  f.fd_.reset(fd);
  f.buffer_.reserve(kBufferSize);
  return f;
}

OutputFile::OutputFile(OutputFile&& o) noexcept
    : path_(std::move(o.path_)),
      tmp_(std::move(o.tmp_)),
      fd_(std::move(o.fd_)),
      to_stdout_(o.to_stdout_),
      committed_(std::exchange(o.committed_, true)),
      buffer_(std::move(o.buffer_)),
      written_(o.written_) {
  o.tmp_.clear();
}

OutputFile::~OutputFile() {
  if (!committed_ && !tmp_.empty()) {
    fd_.reset();
    ::unlink(tmp_.c_str());
  }
}

Status OutputFile::write(std::string_view data) {
  written_ += data.size();
  buffer_.append(data);
  return buffer_.size() >= kBufferSize ? flush() : Status::ok();
}

Status OutputFile::flush() {
  int fd = to_stdout_ ? STDOUT_FILENO : fd_.get();
  size_t off = 0;
  while (off < buffer_.size()) {
    ssize_t n = ::write(fd, buffer_.data() + off, buffer_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, "cannot write " + path_, "is the disk full?");
    off += static_cast<size_t>(n);
  }
  buffer_.clear();
  return Status::ok();
}

Status OutputFile::commit() {
  RETURN_IF_ERROR(flush());
  committed_ = true;
  if (to_stdout_) return Status::ok();
  if (::fsync(fd_.get()) != 0) return errno_status(errno, "cannot write " + path_, "is the disk full?");
  fd_.reset();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    Status s = errno_status(errno, "cannot write " + path_, "check that the folder is writable");
    ::unlink(tmp_.c_str());
    return s;
  }
  return Status::ok();
}

}  // namespace leakscope::report
