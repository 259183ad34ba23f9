// Fuzz target: /proc/PID/status parser (and the shared "Key: value kB" line reader).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/proc_status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  leakscope::procfs::ProcStatus st;
  (void)leakscope::procfs::parse_proc_status(text, &st);
  return 0;
}
