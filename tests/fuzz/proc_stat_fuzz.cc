// Fuzz target: /proc/PID/stat and statm parsers must never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/proc_stat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  leakscope::procfs::ProcStat st;
  (void)leakscope::procfs::parse_proc_stat(text, &st);
  leakscope::procfs::ProcStatm sm;
  (void)leakscope::procfs::parse_proc_statm(text, &sm);
  return 0;
}
