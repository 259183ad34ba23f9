// The one-line interpretations of `leakscope triage`: each rule looks at facts of the
// report and speaks only when they cross its thresholds; what it says carries the facts
// and the rule, so a reader can check it. The rules and their thresholds are listed in
// docs/triage.md; the constants here are the single source of those numbers.
#pragma once

#include <cstdint>
#include <vector>

namespace leakscope::analyze {

struct TriageReport;
struct Interpretation;

// VmHWM far above RSS: the peak was at least this ratio of RSS and this many bytes above.
inline constexpr double kHwmOverRssRatio = 1.5;
inline constexpr int64_t kHwmOverRssMinBytes = 64ll << 20;
// Glibc arenas: at least this many 64 MiB-aligned arena heaps, with glibc as allocator.
inline constexpr int kArenaHeapsMin = 4;
// CLOSE_WAIT: at least this many sockets.
inline constexpr int kCloseWaitMin = 1;
// fds near RLIMIT_NOFILE: at least this fraction of the soft limit.
inline constexpr double kFdLimitFraction = 0.8;
// VmData much larger than RssAnon: at least this ratio and this many bytes apart.
inline constexpr double kVmDataOverRssAnonRatio = 2.0;
inline constexpr int64_t kVmDataOverRssAnonMinBytes = 256ll << 20;
// Swap in use: at least this much of the process swapped out.
inline constexpr int64_t kSwapMinBytes = 1ll << 20;
// Cgroup near its memory limit: usage at least this fraction of memory.max.
inline constexpr double kCgroupNearLimitFraction = 0.9;
// Shared memory dominates: Pss_Shmem at least this fraction of PSS and this many bytes.
inline constexpr double kShmemFraction = 0.5;
inline constexpr int64_t kShmemMinBytes = 64ll << 20;
// Device mappings hold at least this much RSS (GPU drivers map memory through /dev).
inline constexpr int64_t kDeviceRssMinBytes = 64ll << 20;
// Deleted files held open: at least this many fds.
inline constexpr int kDeletedFdsMin = 1;

std::vector<Interpretation> interpret_triage(const TriageReport& report);

}  // namespace leakscope::analyze
