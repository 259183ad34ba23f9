// The set of processes being recorded: a root (the launched command, or an attached pid)
// and every descendant, found each tick from /proc/PID/task/TID/children of every live
// tracked process (so children of orphans reparented away are still found), with a full
// /proc scan as the fallback on kernels without children files. Each process is keyed by
// (pid, start time); exited processes keep their capture id and series.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "collect/process_reader.h"
#include "store/capture_writer.h"

namespace leakscope::collect {

struct SamplingOptions {
  int64_t tick_ms = 100;
  // Lower bound of the detailed tier's per-process interval; the actual interval adapts
  // to each read's measured cost so that detailed reads of all processes together stay
  // under `detail_cpu_budget` of one core.
  int64_t detail_min_ms = 1000;
  int64_t detail_max_ms = 60000;
  double detail_cpu_budget = 0.0005;
  bool detail_enabled = true;
  // How often (in ticks) to re-read comm, exe and cmdline for changes that stat does not
  // show (a rewritten command line; an exec of the same binary without ASLR).
  int exec_check_ticks = 50;
  // /proc/PID/status (file/shmem split, swap, VmHWM) and the fd count are read every this
  // many ticks; the other cheap-tier values (stat, statm) every tick.
  int status_every_ticks = 5;
  // Every tick only the main threads' children files are read (one pread each); every
  // this many ticks, the children of every thread (and, without children files, /proc).
  int full_discovery_ticks = 10;
  // Period of the /proc/PID/maps shape summary (0 = off).
  int64_t maps_interval_ms = 10000;
  // CLOCK_BOOTTIME at t = 0, to express process start times on the recording's clock.
  int64_t run_start_boot_ns = 0;
};

struct TrackedProcess {
  store::ProcessInfo info;
  std::optional<ProcessReader> reader;
  bool alive = true;
  int generation = 0;
  std::string comm;
  std::string exe;
  std::string cmdline;
  uint64_t image_code = 0;   // start_code / start_stack of the current image (exec detection)
  uint64_t image_stack = 0;
  bool zombie = false;       // exited, waiting to be reaped by its parent
  int64_t next_detail_ms = 0;
  int64_t detail_interval_ms = 0;
  bool detail_denied = false;
  int64_t next_maps_ms = 0;
  bool fds_denied_noted = false;
  int64_t last_pss = -1;  // for the live status line
  int64_t last_rss = -1;
};

// What one tick cost and found, for the recorder's own statistics.
struct TickStats {
  int64_t cheap_read_us = 0;
  int64_t detail_read_us = 0;
  int samples = 0;
  int details = 0;
};

class ProcessTree {
 public:
  ProcessTree(store::CaptureWriter* writer, SamplingOptions options, pid_t self_pid,
              bool self_is_subreaper);

  // Adds the root process. kNotFound / kPermissionDenied are returned to the caller.
  Status add_root(pid_t pid, int64_t now_ms);

  // Finds new descendants. `full` also asks every thread (not only main threads).
  void discover(int64_t now_ms, bool full = true);
  // Takes the cheap sample of every live process and the detailed ones that are due.
  TickStats sample(int64_t now_ms, int64_t tick_index);

  // The capture id of the process (pid, start_ticks): a known one, one tracked now, or, for
  // a process that exited before any tick saw it (known only from its heap data), a record
  // made from what the caller knows.
  int64_t resolve(pid_t pid, uint64_t start_ticks, pid_t ppid, const std::string& exe,
                  int64_t now_ms);

  // A child reaped by waitpid (run mode): its exit status.
  void on_reaped(pid_t pid, int wait_status, int64_t now_ms);
  // At the end of recording: mark everything still running.
  void finish(int64_t now_ms);

  size_t alive_count() const;
  size_t total_count() const { return processes_.size(); }
  int64_t total_pss() const;  // sum of the latest PSS (RSS where no PSS yet) of live processes
  const std::map<int64_t, TrackedProcess>& processes() const { return processes_; }
  const TrackedProcess* root() const;

 private:
  TrackedProcess* find_alive(pid_t pid);
  void track(pid_t pid, int64_t parent_id, int64_t now_ms, bool is_root);
  void check_exec(TrackedProcess* p, int64_t now_ms);
  void watch_zombies(int64_t now_ms);
  void mark_gone(TrackedProcess* p, int64_t now_ms, const std::string& state);
  void write_process(const TrackedProcess& p) { writer_->update_process(p.info); }
  void schedule_detail(TrackedProcess* p, int64_t cost_us, int64_t now_ms);

  store::CaptureWriter* writer_;
  SamplingOptions options_;
  pid_t self_pid_;
  bool self_is_subreaper_;
  bool children_files_ = true;
  int64_t last_scan_ms_ = -1000000;
  std::map<int64_t, TrackedProcess> processes_;  // by capture id
  std::map<pid_t, int64_t> alive_by_pid_;
  std::vector<int64_t> zombies_;
  std::set<std::pair<pid_t, uint64_t>> known_;  // every (pid, start time) recorded
  std::map<int64_t, int64_t> generation_start_;  // id -> t_ms its current generation began  // ids of zombies still to be seen reaped
  // /proc/loadavg, kept open, and its last-pid field when the last complete pass began:
  // while no pid has been allocated since, there is no process to find.
  ScopedFd loadavg_fd_;
  int64_t last_pid_at_pass_ = -1;
  std::string loadavg_buf_;
  // Reused buffer for children lists (avoids an allocation per parent per tick).
  std::vector<pid_t> scratch_;
};

}  // namespace leakscope::collect
