// `leakscope export cap.db --format pprof|folded`: the heap data for other tools.
//   pprof:  a gzip-compressed profile.proto for `go tool pprof`, Pyroscope and speedscope,
//           with sample types alloc_objects/alloc_space (cumulative), inuse_objects/
//           inuse_space (live at the last tick) and growth (bytes the site's live heap
//           gained in the sustained window, for sites whose growth is significant; the same
//           window and test as `leakscope sites`). Symbolised locations carry their inline
//           chains, mappings their build-ids; samples carry pid and comm labels.
//   folded: flamegraph.pl collapsed stacks, "process;root;...;leaf value", one line per
//           stack; --value live (default), alloc, unfreed or growth, in bytes.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/capture_reader.h"

namespace leakscope::report {

struct HeapExportOptions {
  std::string capture_path;             // to cache symbols in, and for the profile's comment
  std::string format;                   // "pprof" or "folded"
  std::string value = "live";           // folded: live, alloc, unfreed, growth
  std::vector<std::string> debug_dirs;  // extra debug-file roots for symbolisation
};

bool is_heap_export_format(const std::string& format);

// Symbolises on first use (notes about that go to stderr) and writes the export to `out`.
Status export_heap(store::CaptureReader& reader, const HeapExportOptions& options,
                   std::ostream& out);

}  // namespace leakscope::report
