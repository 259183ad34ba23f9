// Symbolised heap stacks; see heap_stacks.h.
#include "report/heap_stacks.h"

#include "analyze/heap_symbols.h"
#include "symbolize/symbolizer.h"

namespace leakscope::report {

std::string StackFrame::label() const {
  return function.empty() ? symbolize::hex_address(pc) : function;
}

std::string StackFrame::where() const {
  if (file.empty()) return "";
  size_t slash = file.rfind('/');
  std::string name = slash == std::string::npos ? file : file.substr(slash + 1);
  return line > 0 ? name + ":" + std::to_string(line) : name;
}

std::vector<StackFrame> stack_frames(const store::HeapData& heap, int64_t process_id,
                                     int64_t stack_id) {
  std::vector<StackFrame> out;
  auto it = heap.stacks.find({process_id, stack_id});
  if (it == heap.stacks.end()) return out;
  for (uint64_t pc : it->second) {
    const auto* symbols = analyze::frames_of(heap, process_id, pc);
    if (symbols == nullptr || symbols->empty()) {
      StackFrame f;
      f.pc = pc;
      out.push_back(std::move(f));
      continue;
    }
    // frame_symbol rows run outermost (inline_depth 0) to innermost.
    for (size_t i = symbols->size(); i-- > 0;) {
      const auto& s = (*symbols)[i];
      StackFrame f;
      f.pc = pc;
      f.function = s.function;
      f.file = s.file;
      f.line = s.line;
      f.module = s.module;
      f.inlined = i > 0;
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace leakscope::report
