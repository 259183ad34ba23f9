// Text and JSON rendering of a triage report; see triage_render.h.
#include "analyze/triage_render.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "base/time_util.h"

namespace leakscope::analyze {
namespace {

using nlohmann::json;

json value_or_null(int64_t v) { return v >= 0 ? json(v) : json(nullptr); }

std::string b(int64_t v) { return v >= 0 ? format_bytes(static_cast<double>(v)) : "?"; }

std::string counts_line(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [k, n] : m) out += (out.empty() ? "" : ", ") + fmt::format("{} {}", k, n);
  return out;
}

json identity_json(const Identity& id) {
  json j = {{"pid", id.pid},
            {"ppid", id.ppid},
            {"uid", id.uid >= 0 ? json(id.uid) : json(nullptr)},
            {"state", std::string(1, id.state)},
            {"comm", id.comm},
            {"cmdline", id.cmdline},
            {"exe", id.exe},
            {"exe_deleted", id.exe_deleted},
            {"start_ticks", id.start_ticks},
            {"start_time", format_utc(id.start_unix_ns)},
            {"age_s", id.age_s >= 0 ? json(id.age_s) : json(nullptr)}};
  j["binary"] = id.elf_ok ? json{{"build_id", id.build_id.empty() ? json(nullptr) : json(id.build_id)},
                                 {"stripped", id.stripped},
                                 {"debug_info", id.has_debug_info},
                                 {"static", id.is_static},
                                 {"debuglink", id.debuglink.empty() ? json(nullptr) : json(id.debuglink)}}
                          : json(nullptr);
  return j;
}

json memory_json(const MemoryReport& m) {
  return {{"source", m.source},
          {"rss", value_or_null(m.smaps.rss)},
          {"pss", value_or_null(m.smaps.pss)},
          {"pss_anon", value_or_null(m.smaps.pss_anon)},
          {"pss_file", value_or_null(m.smaps.pss_file)},
          {"pss_shmem", value_or_null(m.smaps.pss_shmem)},
          {"private_dirty", value_or_null(m.smaps.private_dirty)},
          {"swap", value_or_null(m.smaps.swap)},
          {"swap_pss", value_or_null(m.smaps.swap_pss)},
          {"vm_rss", value_or_null(m.status.vm_rss)},
          {"rss_anon", value_or_null(m.status.rss_anon)},
          {"rss_file", value_or_null(m.status.rss_file)},
          {"rss_shmem", value_or_null(m.status.rss_shmem)},
          {"vm_hwm", value_or_null(m.status.vm_hwm)},
          {"vm_peak", value_or_null(m.status.vm_peak)},
          {"vm_size", value_or_null(m.status.vm_size)},
          {"vm_data", value_or_null(m.status.vm_data)},
          {"vm_swap", value_or_null(m.status.vm_swap)}};
}

json fds_json(const FdReport& f) {
  if (!f.ok) return nullptr;
  json repeated = json::array();
  for (const auto& [target, n] : f.repeated_targets) repeated.push_back({{"target", target}, {"count", n}});
  return {{"total", f.total},
          {"by_type", f.by_type},
          {"sockets", f.socket_protocols},
          {"tcp_states", f.tcp_states},
          {"close_wait", f.close_wait},
          {"repeated_targets", repeated}};
}

void text_identity(const TriageReport& r, std::string* out) {
  const Identity& id = r.identity;
  *out += fmt::format("process {} ({})  ppid {}  uid {}  state {}  started {} ({} s ago)\n", id.pid,
                      id.comm, id.ppid, id.uid, id.state, format_utc(id.start_unix_ns), id.age_s);
  *out += fmt::format("  command   {}\n", id.cmdline);
  *out += fmt::format("  binary    {}\n", id.exe.empty() ? "-" : id.exe);
  if (id.elf_ok) {
    *out += fmt::format("            build-id {}  {}  {}  {}\n",
                        id.build_id.empty() ? "none" : id.build_id,
                        id.stripped ? "stripped" : "symbols present",
                        id.has_debug_info ? "debug info present" : "no debug info",
                        id.is_static ? "statically linked" : "dynamically linked");
  }
}

void text_memory(const TriageReport& r, std::string* out) {
  const MemoryReport& m = r.memory;
  *out += fmt::format("\nmemory (from {})\n", m.source);
  *out += fmt::format("  RSS  {:>10}   anon {}  file {}  shmem {}\n", b(m.status.vm_rss >= 0 ? m.status.vm_rss : m.smaps.rss),
                      b(m.status.rss_anon), b(m.status.rss_file), b(m.status.rss_shmem));
  *out += fmt::format("  PSS  {:>10}   anon {}  file {}  shmem {}\n", b(m.smaps.pss), b(m.smaps.pss_anon),
                      b(m.smaps.pss_file), b(m.smaps.pss_shmem));
  *out += fmt::format("  peak VmHWM {}  now VmRSS {}   swap {}   VmData {}  VmSize {}\n", b(m.status.vm_hwm),
                      b(m.status.vm_rss), b(m.status.vm_swap >= 0 ? m.status.vm_swap : m.smaps.swap), b(m.status.vm_data), b(m.status.vm_size));
}

void text_mappings(const TriageReport& r, std::string* out) {
  *out += "\nmappings by kind (largest by RSS)\n";
  for (const auto& g : r.mappings) {
    *out += fmt::format("  {:<10} {:>5} mappings  size {:>10}  rss {:>10}  pss {:>10}  swap {}\n", g.kind,
                        g.count, b(g.size), b(g.rss), b(g.pss), b(g.swap));
    for (const auto& e : g.largest) {
      *out += fmt::format("      rss {:>10}  size {:>10}  {}{}\n", b(e.rss), b(e.size), e.name,
                          e.arena_heap ? "  [64 MiB-aligned arena heap]" : "");
    }
  }
  if (r.arenas.heaps > 0)
    *out += fmt::format("  glibc arena heaps: {} ({} in use, {} resident)\n", r.arenas.heaps,
                        b(r.arenas.size), b(r.arenas.rss));
}

void text_fds(const TriageReport& r, std::string* out) {
  const FdReport& f = r.fds;
  *out += fmt::format("\nfds {} open (RLIMIT_NOFILE soft {}, hard {})\n", f.total,
                      r.nofile_soft >= 0 ? std::to_string(r.nofile_soft) : "unlimited",
                      r.nofile_hard >= 0 ? std::to_string(r.nofile_hard) : "unlimited");
  *out += "  by type:   " + counts_line(f.by_type) + "\n";
  if (!f.socket_protocols.empty()) *out += "  sockets:   " + counts_line(f.socket_protocols) + "\n";
  if (!f.tcp_states.empty()) *out += "  tcp:       " + counts_line(f.tcp_states) + "\n";
  for (const auto& c : f.close_wait) *out += "  CLOSE_WAIT " + c + "\n";
  for (const auto& [target, n] : f.repeated_targets) *out += fmt::format("  {} x {}\n", n, target);
}

}  // namespace

nlohmann::json triage_to_json(const TriageReport& r) {
  json j;
  j["format"] = "leakscope-triage";
  j["version"] = kTriageJsonVersion;
  j["identity"] = identity_json(r.identity);
  json found = json::array();
  for (const auto& f : r.allocator.found)
    found.push_back({{"name", f.name}, {"basis", f.basis}, {"replaces_malloc", f.replaces_malloc}});
  j["allocator"] = {{"primary", r.allocator.primary}, {"basis", r.allocator.basis}, {"found", found}};
  j["memory"] = memory_json(r.memory);
  json groups = json::array();
  for (const auto& g : r.mappings) {
    json largest = json::array();
    for (const auto& e : g.largest)
      largest.push_back({{"name", e.name}, {"start", e.start}, {"count", e.count}, {"size", e.size},
                         {"rss", e.rss}, {"pss", e.pss}, {"swap", e.swap}, {"arena_heap", e.arena_heap}});
    groups.push_back({{"kind", g.kind}, {"count", g.count}, {"size", g.size}, {"rss", g.rss},
                      {"pss", g.pss}, {"swap", g.swap}, {"largest", largest}});
  }
  j["mappings"] = groups;
  j["arenas"] = {{"heaps", r.arenas.heaps}, {"size", r.arenas.size}, {"rss", r.arenas.rss}};
  j["fds"] = fds_json(r.fds);
  j["threads"] = r.threads >= 0 ? json(r.threads) : json(nullptr);
  const CgroupMemory& c = r.cgroup;
  j["limits"] = {{"nofile_soft", value_or_null(r.nofile_soft)},
                 {"nofile_hard", value_or_null(r.nofile_hard)},
                 {"cgroup", c.version == 0 ? json(nullptr)
                                           : json{{"version", c.version},
                                                  {"path", c.path},
                                                  {"limited", c.limited},
                                                  {"memory_max", value_or_null(c.max)},
                                                  {"memory_current", value_or_null(c.current)}}}};
  json interp = json::array();
  for (const auto& i : r.interpretations)
    interp.push_back({{"id", i.id}, {"text", i.text}, {"rule", i.rule}, {"facts", i.facts}});
  j["interpretations"] = interp;
  j["notes"] = r.notes;
  return j;
}

std::string render_triage_text(const TriageReport& r) {
  std::string out;
  text_identity(r, &out);
  out += fmt::format("\nallocator  {} ({})\n", r.allocator.primary, r.allocator.basis);
  for (const auto& f : r.allocator.found) {
    if (f.name != r.allocator.primary)
      out += fmt::format("  also {}: {}{}\n", f.name, f.basis, f.replaces_malloc ? "" : " (not malloc)");
  }
  text_memory(r, &out);
  text_mappings(r, &out);
  text_fds(r, &out);
  out += fmt::format("\nthreads {}\n", r.threads);
  const CgroupMemory& c = r.cgroup;
  if (c.version != 0)
    out += fmt::format("cgroup v{} {}: {} in use, limit {}\n", c.version, c.path, b(c.current),
                       c.limited ? b(c.max) : "none");
  out += "\ninterpretations\n";
  if (r.interpretations.empty()) out += "  none: no rule's thresholds were crossed\n";
  for (const auto& i : r.interpretations) {
    out += "  * " + i.text + "\n";
    std::string facts;
    for (const auto& f : i.facts) facts += (facts.empty() ? "" : "; ") + f;
    out += "      based on: " + facts + "\n";
    out += "      rule: " + i.rule + "\n";
  }
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace leakscope::analyze
