// Runs tests/programs/sym_known and parses what it prints: its executable mappings and the
// return addresses it took at known lines. Shared by the symboliser unit tests and the
// `sites`/export end-to-end tests, which build captures whose stacks are these real pcs.
#pragma once

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "symbolize/symbolizer.h"

namespace leakscope::testing {

struct SymKnownOutput {
  std::vector<symbolize::MappedFile> maps;
  // label -> {address, lines...}: "inline" {pc, leaf, middle, outer}, "plain" {pc, line},
  // "member" {pc, line}, "qsort" {entry address}.
  std::map<std::string, std::vector<uint64_t>> values;
};

inline SymKnownOutput run_sym_known(const std::string& program) {
  SymKnownOutput out;
  std::string text;
  if (FILE* p = popen(program.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
    pclose(p);
  }
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind, a, b, c;
    words >> kind;
    if (kind == "map") {
      symbolize::MappedFile m;
      words >> a >> b >> c >> m.path;
      m.start = std::stoull(a, nullptr, 16);
      m.end = std::stoull(b, nullptr, 16);
      m.file_offset = std::stoull(c, nullptr, 16);
      out.maps.push_back(m);
    } else if (kind == "pc" || kind == "fn") {
      std::string label, addr;
      words >> label >> addr;
      auto& v = out.values[label];
      v.push_back(std::stoull(addr, nullptr, 16));
      long long n;
      while (words >> n) v.push_back(static_cast<uint64_t>(n));
    }
  }
  return out;
}

}  // namespace leakscope::testing
