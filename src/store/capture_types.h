// The in-memory shapes of a capture: what the recorder writes and what analysis reads.
// All memory values are bytes; -1 (kMissing) means "not available from the source".
// Times are milliseconds since the recording started (t = 0 at the first tick).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace leakscope::store {

// 2: heap_stack holds one row per stack (its pcs in a BLOB) instead of one per frame.
inline constexpr int kCaptureVersion = 2;
inline constexpr const char* kCaptureFormatName = "leakscope-capture";
inline constexpr int64_t kNone = -1;
// For values that may legitimately be negative (a process started before the recording).
inline constexpr int64_t kUnknownTime = INT64_MIN;

struct RunInfo {
  std::string mode;     // "run" or "attach"
  std::string command;  // shell-readable command line, or "attach 4242"
  std::vector<std::string> argv;
  std::string cwd;
  std::string host;
  std::string kernel;
  std::string leakscope_version;
  int64_t start_unix_ns = 0;  // wall clock at t = 0
  int64_t start_boot_ns = 0;  // CLOCK_BOOTTIME at t = 0, to place process start times
  int64_t tick_ms = 100;
  int64_t detail_min_ms = 1000;
  int64_t page_size = 4096;
  int64_t clock_ticks = 100;
  int64_t mem_total = kNone;      // MemTotal of the machine, bytes
  int64_t cgroup_mem_max = kNone; // memory.max of the target's cgroup, bytes, if limited
  int64_t nofile_limit = kNone;   // RLIMIT_NOFILE soft limit of the root process
  std::string options_json;       // every option the recording ran with
  // Filled at the end of the recording.
  int64_t end_ms = kNone;
  int64_t exit_code = kNone;
  int64_t exit_signal = kNone;
};

struct ProcessInfo {
  int64_t id = 0;  // capture-local id
  int32_t pid = 0;
  uint64_t start_ticks = 0;  // /proc/PID/stat starttime; with pid, the identity
  int64_t start_ms = kUnknownTime;  // process start relative to recording start (< 0 if earlier)
  int64_t parent_id = kNone;
  int32_t ppid = 0;
  int64_t uid = kNone;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = kNone;
  int64_t exit_ms = kNone;
  std::string end_state;  // "running", "exited", "zombie", "unreadable"
  int64_t exit_code = kNone;
  int64_t exit_signal = kNone;
  bool is_root = false;
};

struct ExecGeneration {
  int64_t process_id = 0;
  int generation = 0;  // 0 = image when first seen; +1 for each exec observed
  int64_t t_ms = 0;
  std::string comm;
  std::string exe;
  std::string cmdline;  // words joined for the shell
};

// Cheap tier: one per process per tick.
struct Sample {
  int64_t process_id = 0;
  int64_t t_ms = 0;
  int64_t rss = kNone;
  int64_t rss_anon = kNone;
  int64_t rss_file = kNone;
  int64_t rss_shmem = kNone;
  int64_t vm_data = kNone;
  int64_t vm_swap = kNone;
  int64_t vm_hwm = kNone;
  int64_t threads = kNone;
  int64_t fds = kNone;
  int64_t minflt = kNone;
  int64_t majflt = kNone;
  int64_t cpu_ms = kNone;  // utime + stime
  int64_t read_us = kNone;  // what the cheap-tier reads cost
};

// Detailed tier: smaps_rollup (or full smaps) at an adaptive rate.
struct DetailSample {
  int64_t process_id = 0;
  int64_t t_ms = 0;
  std::string source;  // "smaps_rollup", "smaps" (derived class split)
  int64_t rss = kNone;
  int64_t pss = kNone;
  int64_t pss_anon = kNone;
  int64_t pss_file = kNone;
  int64_t pss_shmem = kNone;
  int64_t private_clean = kNone;
  int64_t private_dirty = kNone;
  int64_t shared_clean = kNone;
  int64_t shared_dirty = kNone;
  int64_t swap = kNone;
  int64_t swap_pss = kNone;
  int64_t read_us = kNone;
};

// Shape of the address space from /proc/PID/maps (cheap: no page-table walk), every few
// seconds: evidence for allocator retention (glibc arenas) vs heap growth.
struct MapsSummary {
  int64_t process_id = 0;
  int64_t t_ms = 0;
  int64_t heap_bytes = kNone;     // size of the brk [heap] mapping
  int64_t anon_mappings = kNone;  // private anonymous mappings (not stack)
  int64_t anon_bytes = kNone;     // their mapped (virtual) size
  int64_t arena_like = kNone;     // 64 MiB-aligned anonymous reservations of 64 MiB (glibc arenas)
  int64_t file_mappings = kNone;
  int64_t shmem_bytes = kNone;    // mapped size of shared-memory mappings
};

struct Mark {
  int64_t t_ms = 0;
  std::string label;
  std::string source;  // "cli", "stdout", "api"
  std::string text;    // the stdout line, for marks taken from it
};

struct Note {
  int64_t t_ms = 0;
  int64_t process_id = kNone;
  std::string kind;  // "permission", "gone", "zombie", "fallback", "overhead", ...
  std::string text;
};

// The recorder's own cost, once per second: the overhead figure users can check.
struct RecorderStat {
  int64_t t_ms = 0;
  int64_t cpu_us = 0;  // leakscope's CPU time during the interval
  int64_t wall_us = 0;
  int64_t processes = 0;
  int64_t cheap_read_us = 0;
  int64_t detail_read_us = 0;
};

}  // namespace leakscope::store
