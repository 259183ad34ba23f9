// Reads one process's /proc files for the two sampling tiers. The cheap-tier files (stat,
// status) stay open between ticks and are re-read with pread: that skips the path lookup,
// and an fd on /proc/PID/... is bound to that process, so after the process exits the
// read fails with ESRCH instead of silently reading a new process that reused the pid.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "procfs/proc_stat.h"
#include "procfs/proc_status.h"
#include "procfs/smaps.h"
#include "store/capture_types.h"

namespace leakscope::collect {

class ProcessReader {
 public:
  // Opens the process and reads its identity. kNotFound if it does not exist.
  static StatusOr<ProcessReader> open(pid_t pid);

  pid_t pid() const { return pid_; }
  uint64_t start_ticks() const { return start_ticks_; }
  const procfs::ProcStat& last_stat() const { return stat_; }

  // Cheap tier: stat + statm, plus status and the fd count when `with_status` (the
  // file/shmem split, swap, VmHWM, open fds). kGone when the process has exited (or is a zombie: then
  // last_stat().state == 'Z'). Fields that were not read stay kNone.
  Status read_cheap(store::Sample* out, bool with_status = true);

  // Detailed tier: smaps_rollup, or the full smaps when the rollup is missing or lacks the
  // Pss_Anon/File/Shmem split (kernels before 5.9). kPermissionDenied without ptrace access.
  Status read_detail(store::DetailSample* out);

  // Address-space shape from /proc/PID/maps (cheap: no page walk).
  Status read_maps_summary(store::MapsSummary* out);

  // Children forked by the main thread (cheap: one pread of a kept-open file). Children of
  // other threads are found by the periodic full scan (procfs::list_children).
  Status read_main_thread_children(std::vector<pid_t>* out);

  // The process state letter from a fresh stat read ('Z' for a zombie), or 0 once the
  // process is gone (reaped).
  char read_state();

  // comm, exe path and command line of the current image (for exec generations).
  void read_image(std::string* comm, std::string* exe, std::string* cmdline) const;

 private:
  ProcessReader() = default;
  pid_t pid_ = 0;
  uint64_t start_ticks_ = 0;
  std::string dir_;
  std::string stat_path_;    // kept to name errors without building strings per tick
  std::string status_path_;
  std::string statm_path_;
  ScopedFd statm_fd_;
  ScopedFd stat_fd_;
  ScopedFd status_fd_;
  std::string buf_;
  procfs::ProcStat stat_;
  procfs::ProcStatus status_;
  bool rollup_usable_ = true;  // false after the rollup turned out missing or incomplete
  bool fd_dir_readable_ = true;
  ScopedFd fd_dir_;        // /proc/PID/fd, kept open and rewound to count entries
  ScopedFd children_fd_;   // /proc/PID/task/PID/children (the main thread's children)
};

// Words of /proc/PID/cmdline joined for a shell; "[comm]" for kernel threads.
std::string join_cmdline(const std::string& raw, const std::string& comm);

}  // namespace leakscope::collect
