// Parser for /proc/PID/status: the RSS split by class (RssAnon/RssFile/RssShmem, since
// Linux 4.5), VmSwap, VmHWM and the uids. Fields the kernel does not provide are left at
// kMissing so old kernels and truncated files are recorded as "not available", not 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace leakscope::procfs {

inline constexpr int64_t kMissing = -1;

struct ProcStatus {
  std::string name;
  char state = '?';
  int32_t tgid = 0;
  int32_t ppid = 0;
  int64_t uid_real = kMissing;
  int64_t uid_effective = kMissing;
  // All memory values in bytes.
  int64_t vm_peak = kMissing;
  int64_t vm_size = kMissing;
  int64_t vm_hwm = kMissing;
  int64_t vm_rss = kMissing;
  int64_t rss_anon = kMissing;
  int64_t rss_file = kMissing;
  int64_t rss_shmem = kMissing;
  int64_t vm_data = kMissing;
  int64_t vm_stk = kMissing;
  int64_t vm_exe = kMissing;
  int64_t vm_lib = kMissing;
  int64_t vm_pte = kMissing;
  int64_t vm_swap = kMissing;
  int64_t threads = kMissing;
};

// Kernel threads and zombies have no Vm* lines; that is not an error.
Status parse_proc_status(std::string_view text, ProcStatus* out);

// Iterates "Key:   value [kB]" lines, shared by the status and smaps parsers. The value
// is returned in bytes when the line carries a kB unit.
template <typename Fn>
void for_each_key_value(std::string_view text, Fn&& fn);

}  // namespace leakscope::procfs

#include "procfs/key_value_lines.h"
