// Turns lines of the target's stdout into phase marks (`--mark-regex`). The bytes are
// passed through untouched by the caller; this only looks at a copy, line by line.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/capture_types.h"

namespace leakscope::collect {

class StdoutMarkScanner {
 public:
  // ECMAScript regex; the label is the first capture group if there is one, else the match.
  static StatusOr<StdoutMarkScanner> create(const std::string& pattern);

  // Feeds bytes; complete lines that match become marks at `t_ms`.
  void feed(std::string_view bytes, int64_t t_ms, std::vector<store::Mark>* out);
  // The last line if it had no newline.
  void finish(int64_t t_ms, std::vector<store::Mark>* out);

 private:
  StdoutMarkScanner() = default;
  void scan_line(const std::string& line, int64_t t_ms, std::vector<store::Mark>* out);
  std::regex regex_;
  std::string partial_;
  static constexpr size_t kMaxLine = 64 * 1024;  // longer lines are scanned in pieces
};

}  // namespace leakscope::collect
