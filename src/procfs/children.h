// Process-tree discovery from /proc. The fast path reads /proc/PID/task/TID/children
// (CONFIG_PROC_CHILDREN) for every thread of a known process; the fallback scans every
// /proc/[0-9]* entry's stat for its ppid. The caller decides when to use which.
#pragma once

#include <sys/types.h>

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

}  // namespace leakscope::procfs
