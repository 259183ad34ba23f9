// Return address -> source frames through the recorded mappings; see symbolizer.h.
#include "symbolize/symbolizer.h"

#include <algorithm>
#include <cstdio>

namespace leakscope::symbolize {
namespace {

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string hex_address(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

Symbolizer::Entry& Symbolizer::module_for(const MappedFile& map) {
  auto key = std::make_pair(map.path, map.build_id);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  Entry entry;
  auto opened = DwarfModule::open(map.path, map.build_id, options_);
  if (opened.is_ok())
    entry.module = std::move(opened).value();
  else
    entry.problem = opened.status().message();
  return cache_.emplace(std::move(key), std::move(entry)).first->second;
}

PcSymbols Symbolizer::symbolize_return_address(const std::vector<MappedFile>& maps, uint64_t pc) {
  PcSymbols out;
  auto it = std::upper_bound(maps.begin(), maps.end(), pc,
                             [](uint64_t v, const MappedFile& m) { return v < m.start; });
  if (it == maps.begin() || pc >= std::prev(it)->end || pc == 0) {
    out.frames.push_back({hex_address(pc), "", 0});
    return out;
  }
  const MappedFile& map = *std::prev(it);
  out.module = base_name(map.path);
  uint64_t offset = pc - map.start + map.file_offset;
  Entry& entry = module_for(map);
  if (entry.module != nullptr) {
    // The byte before the return address lies in the call instruction, which is in the
    // same segment as the return address unless the call ends a segment exactly.
    auto addr = entry.module->address_in_mapping(map.file_offset, pc - 1 - map.start);
    if (addr) {
      out.frames = entry.module->frames_at(*addr);
      if (!out.frames.empty()) {
        out.symbolised = true;
        return out;
      }
      out.frames.push_back({out.module + "+" + hex_address(*addr + 1), "", 0});
      return out;
    }
  }
  out.frames.push_back({out.module + "+" + hex_address(offset), "", 0});
  return out;
}

std::vector<std::string> Symbolizer::problems() const {
  std::vector<std::string> out;
  for (const auto& [key, entry] : cache_)
    if (!entry.problem.empty()) out.push_back(entry.problem);
  return out;
}

}  // namespace leakscope::symbolize
