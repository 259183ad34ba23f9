// One ELF file opened with elfutils libdwfl for symbolisation after the run: it checks the
// file is the one that was mapped (GNU build-id), finds its DWARF (in the file, or in a
// separate debug file found by build-id or .gnu_debuglink under the debug directories),
// turns a file offset into the ELF address the symbol tables use, and resolves an address
// to its chain of inlined frames with file:line. One Dwfl session per file, because every
// file is placed at its own link-time addresses (bias 0) and they would overlap otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

struct Dwfl;
struct Dwfl_Module;

namespace leakscope::symbolize {

struct DwflCallbacksHolder;

// One source-level frame. `function` is demangled; "" when neither DWARF nor a symbol
// table names the address. `line` is 0 and `file` "" when there is no line information.
struct SourceFrame {
  std::string function;
  std::string file;
  int64_t line = 0;
};

struct DwarfModuleOptions {
  // Roots searched for separate debug files: <dir>/.build-id/xx/yyyy.debug, and the
  // .gnu_debuglink name in <dir>/<path of the binary>, next to it and in .debug/.
  std::vector<std::string> debug_dirs = {"/usr/lib/debug"};
};

class DwarfModule {
 public:
  ~DwarfModule();
  DwarfModule(const DwarfModule&) = delete;
  DwarfModule& operator=(const DwarfModule&) = delete;

  // Opens `path`. When `expected_build_id` is not empty and the file's build-id differs
  // (or the file is gone), a debug file carrying the expected build-id is used instead;
  // if there is none the status says "binary changed since recording" (or not found).
  static StatusOr<std::unique_ptr<DwarfModule>> open(const std::string& path,
                                                     const std::string& expected_build_id,
                                                     const DwarfModuleOptions& options);

  // The ELF virtual address of the byte `delta` bytes into a mapping of this file made
  // from file offset `map_offset`, through the PT_LOAD program headers; nullopt when no
  // loadable segment holds it.
  std::optional<uint64_t> address_in_mapping(uint64_t map_offset, uint64_t delta) const;

  // Frames at ELF address `addr`, outermost (the real function) first, then each inlined
  // function down to the innermost. The outer frames' file:line are the call sites of the
  // inlined callee, the innermost one's the line-table row of `addr`. Empty when nothing
  // is known about the address.
  std::vector<SourceFrame> frames_at(uint64_t addr) const;

  const std::string& build_id() const { return build_id_; }
  // The file the symbols come from: the binary, or the debug file used in its place.
  const std::string& source_path() const { return source_path_; }
  bool has_dwarf() const;

 private:
  DwarfModule() = default;
  Status report(const std::string& path);

  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* module_ = nullptr;
  std::string debuginfo_path_;
  char* debuginfo_path_ptr_ = nullptr;  // libdwfl keeps a char** to it
  std::unique_ptr<DwflCallbacksHolder> callbacks_;
  std::string build_id_;
  std::string source_path_;
};

// The separate debug file for `build_id` under `dir` (dir/.build-id/xx/yyyy.debug).
std::string build_id_debug_path(const std::string& dir, const std::string& build_id);

// abi::__cxa_demangle of a mangled C++ name; the name itself when it is not one.
std::string demangle(const char* name);

}  // namespace leakscope::symbolize
