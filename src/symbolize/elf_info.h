// Facts about an ELF file that decide how a process can be investigated: its GNU build-id
// (to find matching debug info), whether it still has a symbol table or DWARF, whether it
// is statically linked (then no allocator library shows in its maps), and which
// malloc-family functions it defines itself (a statically linked or custom allocator).
// Read with libelf; pass /proc/PID/exe to read a binary that was deleted or replaced.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace leakscope::symbolize {

struct ElfInfo {
  std::string build_id;        // lower-case hex of the NT_GNU_BUILD_ID note; "" if none
  bool has_symtab = false;     // false: stripped (only .dynsym, if anything, is left)
  bool has_debug_info = false; // .debug_info or .zdebug_info present
  std::string debuglink;       // .gnu_debuglink file name (separate debug info), if any
  std::string interpreter;     // PT_INTERP, "" for static binaries and most libraries
  std::vector<std::string> needed;  // DT_NEEDED
  bool is_static = false;      // no PT_INTERP and no DT_NEEDED
  // Malloc-family and allocator-marker functions defined (not just referenced) in .symtab
  // or .dynsym, sorted: "malloc", "free", "__libc_malloc", "mallocx", "tc_malloc", ...
  std::vector<std::string> malloc_symbols;

  bool defines(std::string_view symbol) const;
};

StatusOr<ElfInfo> read_elf_info(const std::string& path);
// `what` names the file in errors.
StatusOr<ElfInfo> read_elf_info_fd(int fd, const std::string& what);

// The symbols read_elf_info looks for, for callers that interpret them.
bool is_malloc_family_symbol(std::string_view name);

}  // namespace leakscope::symbolize
