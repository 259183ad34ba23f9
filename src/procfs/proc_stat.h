// Parsers for /proc/PID/stat and /proc/PID/statm: the cheap tier of sampling. Both are
// single-line files the kernel formats without taking the mm lock for long, so they are
// read every tick. Parsers take text so tests can feed recorded fixtures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace leakscope::procfs {

struct ProcStat {
  int32_t pid = 0;
  std::string comm;  // without the parentheses; may contain spaces and ')'
  char state = '?';  // R S D Z T t X I ...
  int32_t ppid = 0;
  uint64_t minflt = 0;
  uint64_t majflt = 0;
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  int64_t num_threads = 0;
  uint64_t starttime_ticks = 0;  // since boot, in clock ticks: half of the process identity
  uint64_t vsize_bytes = 0;
  int64_t rss_pages = 0;
  // Address of the text segment and of the stack bottom (0 without ptrace access). With
  // ASLR both change on every exec, which tells an exec from a rename.
  uint64_t start_code = 0;
  uint64_t start_stack = 0;
};

// The comm field may contain ')' and spaces, so the parser splits at the *last* ')'.
Status parse_proc_stat(std::string_view text, ProcStat* out);

struct ProcStatm {
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  uint64_t shared_pages = 0;  // file-backed + shmem resident pages
  uint64_t text_pages = 0;
  uint64_t data_pages = 0;  // VmData (+ stack)
};

Status parse_proc_statm(std::string_view text, ProcStatm* out);

}  // namespace leakscope::procfs
