// Recorded heap stacks as symbolised frames, shared by every output that prints stacks
// (`sites`, the pprof and folded exports). A recorded pc can stand for several frames when
// functions were inlined at that call; they are expanded here, innermost first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/heap_reader.h"

namespace leakscope::report {

struct StackFrame {
  uint64_t pc = 0;
  std::string function;  // "" only when nothing at all is known (then see label())
  std::string file;
  int64_t line = 0;
  std::string module;
  bool inlined = false;  // inlined into the next frame of the list

  // The function, or the module+offset / address the symboliser left for it.
  std::string label() const;
  // "file.c:12" (file name only), or "" without line information.
  std::string where() const;
};

// Innermost first: the allocating function (depth 0, its inlined callees first), then its
// callers out to the root.
std::vector<StackFrame> stack_frames(const store::HeapData& heap, int64_t process_id,
                                     int64_t stack_id);

}  // namespace leakscope::report
