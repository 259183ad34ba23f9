// Building the triage report from what was read; see triage.h.
#include "analyze/triage.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "analyze/triage_interpret.h"
#include "base/strings.h"

namespace leakscope::analyze {
namespace {

constexpr size_t kEntriesPerGroup = 5;
constexpr size_t kMaxCloseWaitListed = 10;
constexpr size_t kMaxRepeatedTargets = 5;
constexpr int kTcpCloseWait = 8;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

int64_t positive(int64_t v) { return v > 0 ? v : 0; }

std::string hex_address(uint64_t a) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[a & 15]);
    a >>= 4;
  } while (a != 0);
  return "0x" + out;
}

Identity make_identity(const TriageInputs& in) {
  Identity id;
  id.pid = in.pid;
  id.ppid = in.stat.ppid;
  id.uid = in.status.uid_real;
  id.state = in.stat.state;
  id.comm = in.comm;
  id.cmdline = in.cmdline;
  id.exe = in.exe;
  id.exe_deleted = ends_with(in.exe, " (deleted)");
  id.start_ticks = in.stat.starttime_ticks;
  id.start_unix_ns = in.start_unix_ns;
  id.age_s = in.age_s;
  id.elf_ok = in.elf_ok;
  if (in.elf_ok) {
    id.build_id = in.elf.build_id;
    id.stripped = !in.elf.has_symtab;
    id.has_debug_info = in.elf.has_debug_info;
    id.is_static = in.elf.is_static;
    id.debuglink = in.elf.debuglink;
  }
  return id;
}

MemoryReport make_memory(const TriageInputs& in) {
  MemoryReport m;
  m.source = in.rollup_ok ? "smaps_rollup" : "smaps";
  m.smaps = in.rollup_ok ? in.rollup : procfs::rollup_from_mappings(in.mappings);
  m.status = in.status;
  return m;
}

std::vector<MappingGroup> make_mapping_groups(const std::vector<procfs::Mapping>& maps,
                                              const std::vector<size_t>& arena_heaps) {
  std::set<size_t> arena(arena_heaps.begin(), arena_heaps.end());
  std::map<std::string, MappingGroup> groups;
  std::map<std::string, std::map<std::string, MappingEntry>> entries;
  for (size_t i = 0; i < maps.size(); ++i) {
    const procfs::Mapping& m = maps[i];
    procfs::MappingKind kind = procfs::classify_mapping(m);
    std::string kind_name = procfs::mapping_kind_name(kind);
    MappingGroup& g = groups[kind_name];
    g.kind = kind_name;
    int64_t size = m.size >= 0 ? m.size : static_cast<int64_t>(m.end - m.start);
    ++g.count;
    g.size += size;
    g.rss += positive(m.rss);
    g.pss += positive(m.pss);
    g.swap += positive(m.swap);
    // Files and devices are summed per path (a library is several mappings); anonymous
    // regions stay apart, since which one grows is the point.
    bool per_path = !m.path.empty() && kind != procfs::MappingKind::kAnonymous;
    std::string name = per_path ? m.path : (m.path.empty() ? "anon" : m.path) + " " + hex_address(m.start);
    MappingEntry& e = entries[kind_name][name];
    if (e.count == 0) {
      e.name = name;
      e.start = m.start;
    }
    ++e.count;
    e.size += size;
    e.rss += positive(m.rss);
    e.pss += positive(m.pss);
    e.swap += positive(m.swap);
    e.arena_heap = e.arena_heap || arena.count(i) > 0;
  }
  std::vector<MappingGroup> out;
  for (auto& [kind, g] : groups) {
    for (auto& [name, e] : entries[kind]) g.largest.push_back(e);
    std::sort(g.largest.begin(), g.largest.end(), [](const MappingEntry& a, const MappingEntry& b) {
      return a.rss != b.rss ? a.rss > b.rss : a.size > b.size;
    });
    if (g.largest.size() > kEntriesPerGroup) g.largest.resize(kEntriesPerGroup);
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const MappingGroup& a, const MappingGroup& b) {
    return a.rss != b.rss ? a.rss > b.rss : a.size > b.size;
  });
  return out;
}

FdReport make_fd_report(const TriageInputs& in) {
  FdReport r;
  r.ok = true;
  procfs::FdCounts counts = procfs::count_fds(in.fds);
  r.total = counts.total;
  for (size_t t = 0; t < procfs::kFdTypeCount; ++t) {
    if (counts.by_type[t] > 0) r.by_type[procfs::fd_type_name(static_cast<procfs::FdType>(t))] = counts.by_type[t];
  }
  std::unordered_map<uint64_t, const procfs::SocketInfo*> by_inode;
  for (const auto& s : in.sockets) {
    if (s.inode != 0) by_inode.emplace(s.inode, &s);
  }
  std::map<std::string, int> targets;
  for (const auto& fd : in.fds) {
    procfs::FdType type = fd.link.type;
    if (type == procfs::FdType::kSocket) {
      if (!in.sockets_ok) continue;  // the tables could not be read: see the notes
      auto it = by_inode.find(fd.link.inode);
      if (it == by_inode.end()) {
        ++r.socket_protocols["other"];  // netlink, packet, raw, or another namespace
        continue;
      }
      const procfs::SocketInfo& s = *it->second;
      ++r.socket_protocols[procfs::socket_protocol_name(s.protocol)];
      if (s.protocol != procfs::SocketProtocol::kTcp && s.protocol != procfs::SocketProtocol::kTcp6)
        continue;
      ++r.tcp_states[procfs::tcp_state_name(s.state)];
      if (s.state == kTcpCloseWait && r.close_wait.size() < kMaxCloseWaitListed)
        r.close_wait.push_back(s.local + " -> " + s.remote);
    } else if (type == procfs::FdType::kFile || type == procfs::FdType::kDeleted ||
               type == procfs::FdType::kDevice || type == procfs::FdType::kDirectory ||
               type == procfs::FdType::kMemfd) {
      ++targets[fd.target];
    }
  }
  for (const auto& [target, n] : targets) {
    if (n > 1) r.repeated_targets.emplace_back(target, n);
  }
  std::stable_sort(r.repeated_targets.begin(), r.repeated_targets.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (r.repeated_targets.size() > kMaxRepeatedTargets) r.repeated_targets.resize(kMaxRepeatedTargets);
  return r;
}

// Allocator markers an executable may define, and what they name.
struct Marker {
  const char* symbol;
  const char* allocator;
};
constexpr Marker kMarkers[] = {
    {"__libc_malloc", "glibc"}, {"mallocx", "jemalloc"},  {"je_mallocx", "jemalloc"},
    {"mallctl", "jemalloc"},    {"je_malloc", "jemalloc"}, {"tc_malloc", "tcmalloc"},
    {"mi_malloc", "mimalloc"}};

}  // namespace

std::string allocator_of_library(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  if (starts_with(base, "libjemalloc")) return "jemalloc";
  if (starts_with(base, "libtcmalloc")) return "tcmalloc";
  if (starts_with(base, "libmimalloc")) return "mimalloc";
  // Sanitizer runtimes replace malloc with their own allocator.
  if (starts_with(base, "libasan")) return "asan";
  if (starts_with(base, "libtsan")) return "tsan";
  if (starts_with(base, "libhwasan")) return "hwasan";
  if (starts_with(base, "ld-musl-") || starts_with(base, "libc.musl-")) return "musl";
  if (starts_with(base, "libc.so.6") || (starts_with(base, "libc-2.") && ends_with(base, ".so")))
    return "glibc";
  return "";
}

AllocatorReport detect_allocator(const TriageInputs& in) {
  AllocatorReport r;
  std::set<std::string> seen;
  for (const auto& m : in.mappings) {
    std::string name = allocator_of_library(m.path);
    if (name.empty() || !seen.insert(m.path).second) continue;
    AllocatorFinding f{name, "mapped " + m.path, true};
    for (const auto& lib : in.allocator_libraries) {
      if (lib.path != m.path) continue;
      f.replaces_malloc = lib.defines_malloc != 0;
      if (lib.defines_malloc < 0) f.basis += " (its ELF could not be read: assumed to define malloc)";
      else if (lib.defines_malloc == 0) f.basis += " (does not define malloc)";
    }
    r.found.push_back(std::move(f));
  }
  const AllocatorFinding* exe_finding = nullptr;
  if (in.elf_ok) {
    bool defines_malloc = in.elf.defines("malloc");
    std::set<std::string> named;
    for (const Marker& mk : kMarkers) {
      if (!in.elf.defines(mk.symbol) || !named.insert(mk.allocator).second) continue;
      r.found.push_back({mk.allocator, std::string("executable defines ") + mk.symbol, defines_malloc});
    }
    if (defines_malloc && named.empty())
      r.found.push_back({"custom", "executable defines malloc", true});
    for (const auto& f : r.found) {
      if (starts_with(f.basis, "executable") && f.replaces_malloc && exe_finding == nullptr) exe_finding = &f;
    }
  }
  auto is_base = [](const AllocatorFinding& f) { return f.name == "glibc" || f.name == "musl"; };
  const AllocatorFinding* pick = exe_finding;
  for (const auto& f : r.found) {
    if (pick == nullptr && !is_base(f) && f.replaces_malloc) pick = &f;
  }
  for (const auto& f : r.found) {
    if (pick == nullptr && is_base(f)) pick = &f;
  }
  if (pick != nullptr) {
    r.primary = pick->name;
    r.basis = pick->basis;
    if (pick == exe_finding) r.basis += " and malloc itself";
  } else if (in.elf_ok && in.elf.is_static && !in.elf.has_symtab) {
    r.basis = "static, stripped executable: no symbols to tell";
  } else {
    r.basis = "no known allocator library mapped and no allocator symbols in the executable";
  }
  return r;
}

std::vector<size_t> find_arena_heaps(const std::vector<procfs::Mapping>& maps) {
  std::vector<size_t> out;
  auto anonymous = [](const procfs::Mapping& m) {
    return procfs::classify_mapping(m) == procfs::MappingKind::kAnonymous;
  };
  for (size_t i = 0; i < maps.size(); ++i) {
    const procfs::Mapping& m = maps[i];
    if (!anonymous(m) || m.perms != "rw-p" || m.start % procfs::kGlibcArenaSize != 0 || m.end <= m.start)
      continue;
    uint64_t size = m.end - m.start;
    if (size > procfs::kGlibcArenaSize) continue;
    bool whole = size == procfs::kGlibcArenaSize;
    // The unused rest of the heap stays reserved PROT_NONE right behind it (the reserve may
    // have merged with a neighbouring PROT_NONE region, so it may reach further).
    bool reserved = i + 1 < maps.size() && maps[i + 1].start == m.end && anonymous(maps[i + 1]) &&
                    maps[i + 1].perms == "---p" && maps[i + 1].end >= m.start + procfs::kGlibcArenaSize;
    if (whole || reserved) out.push_back(i);
  }
  return out;
}

TriageReport build_triage(const TriageInputs& in) {
  TriageReport r;
  r.identity = make_identity(in);
  r.allocator = detect_allocator(in);
  r.memory = make_memory(in);
  std::vector<size_t> heaps = find_arena_heaps(in.mappings);
  r.arenas.heaps = static_cast<int>(heaps.size());
  for (size_t i : heaps) {
    r.arenas.rss += positive(in.mappings[i].rss);
    r.arenas.size += static_cast<int64_t>(in.mappings[i].end - in.mappings[i].start);
  }
  r.mappings = make_mapping_groups(in.mappings, heaps);
  r.fds = make_fd_report(in);
  r.threads = in.status.threads >= 0 ? in.status.threads : in.stat.num_threads;
  r.nofile_soft = in.nofile_soft;
  r.nofile_hard = in.nofile_hard;
  r.cgroup = in.cgroup;
  r.notes = in.notes;
  r.interpretations = interpret_triage(r);
  return r;
}

}  // namespace leakscope::analyze
