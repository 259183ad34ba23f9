// Fuzz target: smaps_rollup, full smaps / maps parsing, the derived class split and the
// address-space shape summary.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "procfs/children.h"
#include "procfs/maps_shape.h"
#include "procfs/smaps.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leakscope::procfs;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  MemRollup r;
  (void)parse_smaps_rollup(text, &r);
  std::vector<Mapping> maps;
  if (parse_smaps(text, &maps).is_ok()) {
    (void)rollup_from_mappings(maps);
    (void)summarize_maps(maps);
    for (const auto& m : maps) (void)classify_mapping(m);
  }
  std::vector<pid_t> kids;
  parse_children(text, &kids);
  return 0;
}
