// Symbols for the recorded heap stacks, computed on first use after the run and cached in
// the capture's frame_symbol table so later `sites` and `export` runs are fast. Symbolising
// needs only the recorded module table (and the files or their debug files), so it works
// long after the target exited. A read-only capture is symbolised in memory every time,
// and the result says nothing was cached.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "store/heap_reader.h"
#include "symbolize/dwarf_module.h"

namespace leakscope::analyze {

struct SymbolCacheReport {
  size_t pcs = 0;                     // distinct (process, pc) in the recorded stacks
  size_t new_pcs = 0;                 // symbolised now (the rest came from the capture)
  size_t unsymbolised = 0;            // of the new ones, left as module+offset or a bare address
  bool cached = true;                 // new symbols were written to the capture
  std::string cache_note;             // why not, when they were not
  std::vector<std::string> problems;  // files that could not be used as recorded
};

// The heap tables of a capture; a capture recorded without --heap is an error that says
// how to record one.
StatusOr<store::HeapData> read_heap_or_explain(store::CaptureReader& reader,
                                               const std::string& capture_path);

// Adds frame symbols for every pc of heap->stacks that has none yet, to heap->symbols and,
// when the capture at `capture_path` can be written, to its frame_symbol table. A process
// with no module rows (a fork child whose mappings were not re-recorded) uses those of its
// nearest ancestor that has some.
StatusOr<SymbolCacheReport> ensure_heap_symbols(const std::string& capture_path,
                                                const store::CaptureMeta& meta,
                                                store::HeapData* heap,
                                                const symbolize::DwarfModuleOptions& options);

// The frames of a recorded pc, outermost first (empty when not symbolised).
const std::vector<store::FrameSymbol>* frames_of(const store::HeapData& heap, int64_t process_id,
                                                 uint64_t pc);

// The innermost function of the allocating frame (depth 0) of a stack: what
// `--group function` groups by. "0x…" or "module+0x…" when it has no name.
std::string allocating_function(const store::HeapData& heap, int64_t process_id, int64_t stack_id);

}  // namespace leakscope::analyze
