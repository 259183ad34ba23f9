// What a process's file descriptors point at, from /proc/PID/fd. An fd leak shows first as
// a growing count of one kind (sockets, pipes, eventfds, a file opened again and again),
// so triage counts fds by kind; the kind comes from the readlink target ("socket:[123]",
// "anon_inode:[eventfd]", a path), refined by stat() where the text cannot tell (a
// directory, a FIFO, a device node).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace leakscope::procfs {

enum class FdType {
  kFile,       // regular file (or anything path-like not covered below)
  kDirectory,
  kDeleted,    // a path ending in " (deleted)": its space is held until the fd closes
  kMemfd,      // "/memfd:name (deleted)"
  kDevice,     // /dev/... character or block device, including /dev/pts, /dev/nvidia*
  kSocket,     // socket:[inode]
  kPipe,       // pipe:[inode] or a named FIFO
  kEventfd,    // anon_inode:[eventfd]
  kEventpoll,  // anon_inode:[eventpoll]
  kTimerfd,    // anon_inode:[timerfd]
  kSignalfd,   // anon_inode:[signalfd]
  kInotify,    // anon_inode:inotify
  kIoUring,    // anon_inode:[io_uring]
  kPidfd,      // anon_inode:[pidfd] or pidfd:[...]
  kOtherAnonInode,  // anon_inode:bpf-map, [perf_event], [userfaultfd], ...
  kNamespace,  // net:[...], mnt:[...] (namespace fds)
  kOther,
};
inline constexpr size_t kFdTypeCount = static_cast<size_t>(FdType::kOther) + 1;

const char* fd_type_name(FdType type);

struct FdLink {
  FdType type = FdType::kOther;
  uint64_t inode = 0;     // for socket:[N] and pipe:[N]
  std::string anon_name;  // "eventfd", "bpf-map", ... for anon inodes
};

// Classifies a readlink target by its text alone.
FdLink classify_fd_link(std::string_view target);

struct FdEntry {
  int fd = -1;
  std::string target;  // the readlink text
  FdLink link;
};

// Lists /proc/PID/fd. Entries that vanish while listing (the process closed them) are
// skipped. kPermissionDenied for another user's process, kNotFound if there is no such pid.
Status list_fds(pid_t pid, std::vector<FdEntry>* out);

struct FdCounts {
  std::array<int, kFdTypeCount> by_type{};
  int total = 0;
  int of(FdType t) const { return by_type[static_cast<size_t>(t)]; }
};
FdCounts count_fds(const std::vector<FdEntry>& fds);

}  // namespace leakscope::procfs
