// `leakscope triage PID`: the facts a person gathers first about a process suspected of
// leaking, in one read: who it is and what binary it runs, which allocator serves malloc,
// where its memory is (RSS/PSS by class, swap, peak), its largest mappings by kind, its
// fds by type with TCP states, threads, limits — and the interpretations those facts
// support, each with the facts and thresholds it rests on (triage_interpret.h).
//
// Collection (triage_collect.cc) only reads /proc into TriageInputs; build_triage() turns
// inputs into the report without touching the system, so every rule is testable on
// made-up inputs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "procfs/fd_info.h"
#include "procfs/net_sockets.h"
#include "procfs/proc_stat.h"
#include "procfs/maps_shape.h"
#include "procfs/proc_status.h"
#include "procfs/smaps.h"
#include "symbolize/elf_info.h"

namespace leakscope::analyze {

using procfs::kMissing;

// A mapped allocator library and whether it defines malloc itself (read from its ELF).
struct MappedLibrary {
  std::string path;
  int defines_malloc = -1;  // 1 yes, 0 no, -1 could not read the file
};

struct CgroupMemory {
  int version = 0;  // 1 or 2; 0 when no memory controller was found
  std::string path;  // the cgroup path from /proc/PID/cgroup
  bool limited = false;
  int64_t max = kMissing;      // bytes, when limited
  int64_t current = kMissing;  // bytes in use by the whole cgroup
};

// Everything read from the system; build_triage() derives the report from it.
struct TriageInputs {
  int32_t pid = 0;
  procfs::ProcStat stat;
  procfs::ProcStatus status;
  std::string comm;
  std::string cmdline;  // shell-joined
  std::string exe;      // readlink of /proc/PID/exe; "" for kernel threads
  bool elf_ok = false;
  symbolize::ElfInfo elf;
  std::string elf_error;
  std::vector<procfs::Mapping> mappings;  // full smaps, in address order
  bool rollup_ok = false;                 // smaps_rollup read, with the Pss_* class split
  procfs::MemRollup rollup;
  std::vector<procfs::FdEntry> fds;
  bool sockets_ok = false;
  std::vector<procfs::SocketInfo> sockets;  // the process's network namespace tables
  std::vector<MappedLibrary> allocator_libraries;  // non-glibc allocator libs in the maps
  int64_t nofile_soft = kMissing;  // RLIMIT_NOFILE; kMissing also when unlimited
  int64_t nofile_hard = kMissing;
  CgroupMemory cgroup;
  int64_t start_unix_ns = 0;
  int64_t age_s = kMissing;
  std::vector<std::string> notes;  // what could not be read, said once each
};

struct Identity {
  int32_t pid = 0, ppid = 0;
  int64_t uid = kMissing;
  char state = '?';
  std::string comm, cmdline, exe;
  bool exe_deleted = false;
  uint64_t start_ticks = 0;  // with the pid, what identifies the process across pid reuse
  int64_t start_unix_ns = 0;
  int64_t age_s = kMissing;
  bool elf_ok = false;
  std::string build_id;
  bool stripped = false;
  bool has_debug_info = false;
  bool is_static = false;
  std::string debuglink;
};

struct AllocatorFinding {
  std::string name;   // "glibc", "jemalloc", "tcmalloc", "mimalloc", "musl", "custom"
  std::string basis;  // "mapped /usr/lib/.../libjemalloc.so.2", "executable defines mallocx"
  bool replaces_malloc = false;  // it defines malloc (so calls to malloc reach it)
};

struct AllocatorReport {
  std::string primary = "unknown";  // the one malloc calls most likely reach
  std::string basis;
  std::vector<AllocatorFinding> found;
};

struct MemoryReport {
  std::string source;       // of `smaps`: "smaps_rollup", or "smaps" (summed per mapping)
  procfs::MemRollup smaps;  // RSS/PSS by class, swap
  procfs::ProcStatus status;  // VmRSS, RssAnon/File/Shmem, VmHWM, VmData, VmSwap, ...
};

struct MappingEntry {
  std::string name;  // the path, or "anon 0x7f.." for anonymous regions
  uint64_t start = 0;
  int count = 0;     // mappings merged into this entry (a library has several)
  int64_t size = 0, rss = 0, pss = 0, swap = 0;
  bool arena_heap = false;
};

struct MappingGroup {
  std::string kind;  // procfs::mapping_kind_name
  int count = 0;
  int64_t size = 0, rss = 0, pss = 0, swap = 0;
  std::vector<MappingEntry> largest;  // by RSS, then size
};

struct ArenaReport {
  int heaps = 0;  // anonymous rw regions at 64 MiB boundaries with their reserve to 64 MiB
  int64_t rss = 0;
  int64_t size = 0;  // the rw (committed-address) part
};

struct FdReport {
  bool ok = false;
  int total = 0;
  std::map<std::string, int> by_type;           // fd_type_name -> count (non-zero only)
  std::map<std::string, int> socket_protocols;  // tcp, tcp6, udp, udp6, unix, other
  std::map<std::string, int> tcp_states;        // over tcp and tcp6
  std::vector<std::string> close_wait;          // "local -> remote", at most 10
  std::vector<std::pair<std::string, int>> repeated_targets;  // paths open more than once
};

struct Interpretation {
  std::string id;    // stable key, e.g. "glibc_arenas"
  std::string text;  // the sentence
  std::string rule;  // the condition with its thresholds
  std::vector<std::string> facts;  // the measured facts it rests on
};

struct TriageReport {
  Identity identity;
  AllocatorReport allocator;
  MemoryReport memory;
  std::vector<MappingGroup> mappings;  // largest RSS first
  ArenaReport arenas;
  FdReport fds;
  int64_t threads = kMissing;
  int64_t nofile_soft = kMissing, nofile_hard = kMissing;
  CgroupMemory cgroup;
  std::vector<Interpretation> interpretations;
  std::vector<std::string> notes;
};

// Reads the process and builds its report. kNotFound for no such pid, kPermissionDenied
// when its memory map or fds cannot be read (another user's process), kGone if it exits.
StatusOr<TriageReport> triage_process(pid_t pid);

TriageReport build_triage(const TriageInputs& in);

// "jemalloc" for ".../libjemalloc.so.2", "glibc" for ".../libc.so.6", ""... (by file name).
std::string allocator_of_library(std::string_view path);
AllocatorReport detect_allocator(const TriageInputs& in);

// Indices into `maps` of glibc arena heaps (see ArenaReport). Unlike the recorder's
// procfs::summarize_maps count, which needs the run to end exactly at 64 MiB, this also
// counts a heap whose PROT_NONE reserve merged with a neighbouring PROT_NONE region.
std::vector<size_t> find_arena_heaps(const std::vector<procfs::Mapping>& maps);

}  // namespace leakscope::analyze
