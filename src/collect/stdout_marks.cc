// Phase marks from stdout lines; see stdout_marks.h.
#include "collect/stdout_marks.h"

namespace leakscope::collect {

StatusOr<StdoutMarkScanner> StdoutMarkScanner::create(const std::string& pattern) {
  StdoutMarkScanner s;
  try {
    s.regex_ = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Status(StatusCode::kInvalidArgument, "bad --mark-regex '" + pattern + "'", e.what(),
                  "use an ECMAScript regular expression such as '^PHASE (\\w+)'");
  }
  return s;
}

void StdoutMarkScanner::scan_line(const std::string& line, int64_t t_ms,
                                  std::vector<store::Mark>* out) {
  std::smatch m;
  if (!std::regex_search(line, m, regex_)) return;
  std::string label = m.size() > 1 && m[1].matched ? m[1].str() : m[0].str();
  out->push_back({t_ms, label, "stdout", line});
}

void StdoutMarkScanner::feed(std::string_view bytes, int64_t t_ms, std::vector<store::Mark>* out) {
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') continue;
    partial_.append(bytes.data() + start, i - start);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    scan_line(partial_, t_ms, out);
    partial_.clear();
    start = i + 1;
  }
  partial_.append(bytes.data() + start, bytes.size() - start);
  if (partial_.size() > kMaxLine) {
    scan_line(partial_, t_ms, out);
    partial_.clear();
  }
}

void StdoutMarkScanner::finish(int64_t t_ms, std::vector<store::Mark>* out) {
  if (!partial_.empty()) scan_line(partial_, t_ms, out);
  partial_.clear();
}

}  // namespace leakscope::collect
