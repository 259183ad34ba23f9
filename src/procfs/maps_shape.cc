// Address-space shape; see maps_shape.h.
#include "procfs/maps_shape.h"

namespace leakscope::procfs {

MapsShape summarize_maps(const std::vector<Mapping>& maps) {
  MapsShape out;
  for (size_t i = 0; i < maps.size(); ++i) {
    const Mapping& m = maps[i];
    int64_t size = static_cast<int64_t>(m.end - m.start);
    switch (classify_mapping(m)) {
      case MappingKind::kHeap:
        out.heap_bytes += size;
        break;
      case MappingKind::kAnonymous: {
        out.anon_mappings += 1;
        out.anon_bytes += size;
        // An arena heap starts aligned to its size; the contiguous anonymous run that
        // starts there (rw-p then ---p) spans exactly 64 MiB.
        if (m.start % kGlibcArenaSize == 0 && m.perms.size() == 4 && m.perms[0] == 'r') {
          uint64_t end = m.end;
          for (size_t j = i + 1; j < maps.size() && maps[j].start == end &&
                                 classify_mapping(maps[j]) == MappingKind::kAnonymous &&
                                 end - m.start < kGlibcArenaSize;
               ++j)
            end = maps[j].end;
          if (end - m.start == kGlibcArenaSize) out.arena_like += 1;
        }
        break;
      }
      case MappingKind::kFile:
        out.file_mappings += 1;
        break;
      case MappingKind::kShared:
        out.shmem_bytes += size;
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace leakscope::procfs
