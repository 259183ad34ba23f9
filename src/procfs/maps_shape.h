// Summarises the shape of an address space from /proc/PID/maps: brk heap size, anonymous
// mappings, and glibc-arena-like reservations. Reading maps walks the VMA list only (no
// page tables), so it is cheap enough to do every few seconds; the shape is the evidence
// that separates allocator retention (arenas, many anonymous regions) from heap growth.
#pragma once

#include <cstdint>
#include <vector>

#include "procfs/smaps.h"

namespace leakscope::procfs {

struct MapsShape {
  int64_t heap_bytes = 0;
  int64_t anon_mappings = 0;
  int64_t anon_bytes = 0;
  int64_t arena_like = 0;
  int64_t file_mappings = 0;
  int64_t shmem_bytes = 0;
};

// glibc reserves each non-main arena heap as HEAP_MAX_SIZE (64 MiB on 64-bit) aligned to
// its size: an rw-p part followed by a ---p rest, together exactly 64 MiB.
inline constexpr uint64_t kGlibcArenaSize = 64ull << 20;

MapsShape summarize_maps(const std::vector<Mapping>& mappings);

}  // namespace leakscope::procfs
