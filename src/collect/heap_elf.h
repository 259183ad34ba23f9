// What the heap collector needs to know about ELF files without the symboliser: a file's
// GNU build-id and whether it asks for a dynamic loader (PT_INTERP). Without one,
// LD_PRELOAD cannot act: the process is reported as not interposed. Also the executable
// mappings of a live process (/proc/PID/maps), for pcs outside every module its preload
// library reported (JIT code, a library mapped by hand).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "collect/heap_events.h"

namespace leakscope::collect {

struct ElfFacts {
  std::string build_id;  // lower-case hex, "" if none
  bool has_interpreter = false;
};

// Reads the ELF and program headers and the PT_NOTE segments of `path` (64- and 32-bit,
// little-endian). kCorrupt for a file that is not ELF.
StatusOr<ElfFacts> read_elf_facts(const std::string& path);

// Executable file mappings of a process, with build-ids (read through /proc/PID/root so a
// process in another mount namespace still resolves).
StatusOr<std::vector<HeapModuleInfo>> read_process_modules(pid_t pid);

}  // namespace leakscope::collect
