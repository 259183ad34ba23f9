// Small helpers for reading /proc and regular files with plain syscalls. /proc files are
// generated on read, so they are read in one go into a caller-owned buffer; a kept-open fd
// can be re-read with pread(…, 0), which skips the path walk on every tick.
#pragma once

#include <string>
#include <string_view>

#include "base/scoped_fd.h"
#include "base/status.h"

namespace leakscope {

// open(path, O_RDONLY | O_CLOEXEC); the status names the path.
StatusOr<ScopedFd> open_readonly(const std::string& path);

enum class ReadEnd {
  kUntilEof,          // read until read() returns 0 (any file)
  kShortReadIsEnd,    // single-record /proc files (stat, statm, status): one read suffices
};

// Reads the whole content of `fd` from offset 0 into *out (resized to fit). `what` names
// the file for errors.
Status pread_all(int fd, std::string* out, const std::string& what,
                 ReadEnd end = ReadEnd::kUntilEof);

// Reads a whole file.
Status read_file(const std::string& path, std::string* out);
StatusOr<std::string> read_file(const std::string& path);

// readlink() into a std::string.
StatusOr<std::string> read_link(const std::string& path);

// Counts directory entries other than "." and "..", with getdents64 (no readdir allocs).
StatusOr<int> count_dir_entries(const std::string& path);
// The same on an open directory fd, rewound first (proc directories regenerate on rewind).
StatusOr<int> count_dir_entries(int dir_fd);

}  // namespace leakscope
