// Reading one process for `leakscope triage`: /proc/PID/{stat,status,cmdline,smaps,
// smaps_rollup,fd,net/*,limits,cgroup,exe} and the cgroup's memory files, into
// TriageInputs. Only the memory map and the fd table are required (without them there is
// nothing to triage, and failing to read them means no permission); everything else that
// cannot be read becomes a note in the report.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "analyze/triage.h"
#include "base/status.h"

namespace leakscope::analyze {

Status collect_triage_inputs(pid_t pid, TriageInputs* out);

// "Max open files  1024  1048576  files" of /proc/PID/limits; "unlimited" -> kMissing.
// False when the line is missing.
bool parse_nofile_limits(std::string_view limits_text, int64_t* soft, int64_t* hard);

// Which cgroup holds the process's memory accounting, from /proc/PID/cgroup: the v1
// "memory" controller's line if there is one (hybrid hierarchies), else the v2 "0::" line.
bool find_memory_cgroup(std::string_view cgroup_text, CgroupMemory* out);
// Reads memory.max/memory.current (v2) or memory.limit_in_bytes/usage_in_bytes (v1) under
// `cgroup_root` (normally /sys/fs/cgroup) for the cgroup found above.
Status read_cgroup_memory(const std::string& cgroup_root, CgroupMemory* cg);

}  // namespace leakscope::analyze
