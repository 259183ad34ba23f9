// "Key:   123 kB" line iteration shared by the status and smaps parsers (template, so the
// callback inlines; the parsers run every tick).
#pragma once

#include <string_view>

#include "base/strings.h"

namespace leakscope::procfs {

template <typename Fn>
void for_each_key_value(std::string_view text, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    fn(key, value);
  }
}

// Value in bytes for "123 kB" (or a bare number, taken as a count). False if no number.
inline bool parse_kb_value(std::string_view value, int64_t* out) {
  uint64_t v = 0;
  if (!parse_u64(value, &v)) return false;
  bool kb = value.size() >= 2 && value.substr(value.size() - 2) == "kB";
  if (kb) {
    if (v > (static_cast<uint64_t>(INT64_MAX) >> 10)) return false;
    *out = static_cast<int64_t>(v << 10);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

}  // namespace leakscope::procfs
