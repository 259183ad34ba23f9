// Parsers for /proc/PID/smaps_rollup and /proc/PID/smaps: the detailed tier. The rollup
// gives PSS split by class (Pss_Anon/Pss_File/Pss_Shmem since Linux 5.9); on kernels
// without the rollup or without those fields the full smaps is read and the split is
// derived per mapping, and the result says which way it was obtained.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "procfs/proc_status.h"

namespace leakscope::procfs {

struct MemRollup {
  // Bytes; kMissing when the source does not provide the value.
  int64_t rss = kMissing;
  int64_t pss = kMissing;
  int64_t pss_anon = kMissing;
  int64_t pss_file = kMissing;
  int64_t pss_shmem = kMissing;
  int64_t shared_clean = kMissing;
  int64_t shared_dirty = kMissing;
  int64_t private_clean = kMissing;
  int64_t private_dirty = kMissing;
  int64_t anonymous = kMissing;
  int64_t swap = kMissing;
  int64_t swap_pss = kMissing;
};

// Parses smaps_rollup text. Fails if there is no Pss line.
Status parse_smaps_rollup(std::string_view text, MemRollup* out);

// One mapping of a full smaps file (also used by `triage`).
struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string perms;  // "rw-p"
  uint64_t offset = 0;
  uint64_t inode = 0;
  std::string dev;
  std::string path;  // "" for anonymous, "[heap]", "[stack]", "/usr/lib/...", "/dev/shm/x (deleted)"
  // Per-mapping fields in bytes (kMissing if the file was plain /proc/PID/maps).
  int64_t size = kMissing;
  int64_t rss = kMissing;
  int64_t pss = kMissing;
  int64_t shared_clean = kMissing;
  int64_t shared_dirty = kMissing;
  int64_t private_clean = kMissing;
  int64_t private_dirty = kMissing;
  int64_t anonymous = kMissing;
  int64_t swap = kMissing;
  int64_t swap_pss = kMissing;
};

enum class MappingKind { kHeap, kStack, kAnonymous, kFile, kShared, kDevice, kSpecial };
MappingKind classify_mapping(const Mapping& m);
// True for tmpfs-backed memory the kernel counts as shmem: /dev/shm, SysV, memfd,
// shared anonymous.
bool is_shmem_mapping(const Mapping& m);
const char* mapping_kind_name(MappingKind kind);

// Parses /proc/PID/smaps (or /proc/PID/maps: then only the address lines are filled).
Status parse_smaps(std::string_view text, std::vector<Mapping>* out);

// Sums a full smaps into the rollup shape. The class split is derived per mapping:
// shared-memory mappings (SysV, /dev/shm, memfd, shared anonymous) count as shmem,
// "Anonymous:" pages count as anon (including COW pages of private file mappings, as the
// kernel does), the rest as file.
MemRollup rollup_from_mappings(const std::vector<Mapping>& mappings);

}  // namespace leakscope::procfs
