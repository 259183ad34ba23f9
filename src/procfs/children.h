// Process-tree discovery from /proc. The fast path reads /proc/PID/task/TID/children
// (CONFIG_PROC_CHILDREN) for every thread of a known process; the fallback scans every
// /proc/[0-9]* entry's stat for its ppid. The caller decides when to use which.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace leakscope::procfs {

// Children of every thread of `pid`, appended to *out. kNotFound if the process is gone;
// kUnsupported if the kernel has no children files.
Status list_children(pid_t pid, std::vector<pid_t>* out);

// Parses the space-separated pid list of a children file.
void parse_children(std::string_view text, std::vector<pid_t>* out);

struct PidParent {
  pid_t pid;
  pid_t ppid;
};
// Every process in /proc with its parent (one stat read each): the fallback scan.
Status scan_all_processes(std::vector<PidParent>* out);

// The last pid the kernel allocated in our pid namespace: the last field of /proc/loadavg
// ("0.00 0.01 0.05 1/123 4567"). Every new process or thread anywhere below us (nested pid
// namespaces included) moves it, so an unchanged value means there is nothing to discover.
// Returns -1 when the text has no such field.
int64_t parse_loadavg_last_pid(std::string_view loadavg);

}  // namespace leakscope::procfs
