// Symbolises recorded return addresses after the run, from the executable mappings the
// collector recorded for each process (start, end, file offset, path, build-id), so it
// works when the target has long exited. Each distinct file is opened once (cached by
// path and build-id) and shared by every process that mapped it.
//
// Recorded pcs are return addresses: the call that pushed one ends just before it, and
// the address itself may already belong to the next line, or to the next function when
// the callee never returns. So pc - 1 is looked up, for every depth, including depth 0
// (the return address into the caller of malloc).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "symbolize/dwarf_module.h"

namespace leakscope::symbolize {

// An executable mapping as recorded.
struct MappedFile {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  std::string path;
  std::string build_id;
};

struct PcSymbols {
  // Outermost (the real function) first, then inlined callees; never empty. When nothing
  // names the address, one frame whose function is "module+0xADDR" (the ELF address when
  // the file could be read, else the file offset) or "0xPC" outside every mapping.
  std::vector<SourceFrame> frames;
  std::string module;       // file name of the mapping, "" when no mapping holds the pc
  bool symbolised = false;  // a function name or a line was found
};

class Symbolizer {
 public:
  explicit Symbolizer(DwarfModuleOptions options = {}) : options_(std::move(options)) {}

  // `maps` sorted by start (non-overlapping, as in one process's address space).
  PcSymbols symbolize_return_address(const std::vector<MappedFile>& maps, uint64_t pc);

  // One line per file that could not be used as recorded: "…: binary changed since
  // recording (build-id …, recorded …)", "…: not found (…)".
  std::vector<std::string> problems() const;

 private:
  struct Entry {
    std::unique_ptr<DwarfModule> module;
    std::string problem;
  };
  Entry& module_for(const MappedFile& map);

  DwarfModuleOptions options_;
  std::map<std::pair<std::string, std::string>, Entry> cache_;  // (path, build-id)
};

// "0x1a2b".
std::string hex_address(uint64_t v);

}  // namespace leakscope::symbolize
