// Interpretation rules of `leakscope triage`; see triage_interpret.h and docs/triage.md.
#include "analyze/triage_interpret.h"

#include <fmt/format.h>

#include "analyze/triage.h"
#include "base/strings.h"

namespace leakscope::analyze {
namespace {

std::string bytes(int64_t v) { return format_bytes(static_cast<double>(v)); }

int count_of(const std::map<std::string, int>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

void hwm_above_rss(const TriageReport& r, std::vector<Interpretation>* out) {
  const MemoryReport& m = r.memory;
  if (m.status.vm_hwm < 0 || m.status.vm_rss < 0) return;
  if (m.status.vm_hwm < kHwmOverRssRatio * static_cast<double>(m.status.vm_rss) ||
      m.status.vm_hwm - m.status.vm_rss < kHwmOverRssMinBytes)
    return;
  Interpretation i{"hwm_above_rss", "VmHWM far above RSS: memory was freed or swapped since the peak",
                   fmt::format("VmHWM >= {} x VmRSS and >= {} above it", kHwmOverRssRatio,
                               bytes(kHwmOverRssMinBytes)),
                   {"VmHWM " + bytes(m.status.vm_hwm), "VmRSS " + bytes(m.status.vm_rss)}};
  if (m.status.vm_swap >= 0) i.facts.push_back("VmSwap " + bytes(m.status.vm_swap));
  out->push_back(std::move(i));
}

void glibc_arenas(const TriageReport& r, std::vector<Interpretation>* out) {
  if (r.arenas.heaps < kArenaHeapsMin || r.allocator.primary != "glibc") return;
  Interpretation i{
      "glibc_arenas",
      fmt::format("many 64 MiB-aligned anonymous regions ({}): glibc per-thread arenas "
                  "(MALLOC_ARENA_MAX would cap them)",
                  r.arenas.heaps),
      fmt::format(">= {} anonymous rw-p regions starting at a 64 MiB boundary with their "
                  "PROT_NONE reserve reaching 64 MiB, and glibc the allocator",
                  kArenaHeapsMin),
      {fmt::format("{} arena heaps: {} in use of their address range, {} resident", r.arenas.heaps,
                   bytes(r.arenas.size), bytes(r.arenas.rss)),
       "allocator glibc (" + r.allocator.basis + ")"}};
  if (r.threads >= 0) i.facts.push_back(fmt::format("{} threads", r.threads));
  out->push_back(std::move(i));
}

void close_wait(const TriageReport& r, std::vector<Interpretation>* out) {
  int n = count_of(r.fds.tcp_states, "CLOSE_WAIT");
  if (n < kCloseWaitMin) return;
  Interpretation i{"close_wait",
                   fmt::format("{} socket{} in CLOSE_WAIT: the peer closed, this process has not", n,
                               n == 1 ? "" : "s"),
                   fmt::format(">= {} TCP socket held by the process in CLOSE_WAIT", kCloseWaitMin),
                   {fmt::format("{} of {} TCP sockets in CLOSE_WAIT", n,
                                count_of(r.fds.socket_protocols, "tcp") +
                                    count_of(r.fds.socket_protocols, "tcp6"))}};
  for (const auto& c : r.fds.close_wait) i.facts.push_back(c);
  out->push_back(std::move(i));
}

void fd_near_limit(const TriageReport& r, std::vector<Interpretation>* out) {
  if (!r.fds.ok || r.nofile_soft <= 0) return;
  if (r.fds.total < kFdLimitFraction * static_cast<double>(r.nofile_soft)) return;
  out->push_back({"fd_near_limit",
                  "fd count near RLIMIT_NOFILE: opening more will fail with EMFILE",
                  fmt::format("open fds >= {:.0f} % of the soft RLIMIT_NOFILE", kFdLimitFraction * 100),
                  {fmt::format("{} fds open", r.fds.total),
                   fmt::format("soft limit {}", r.nofile_soft)}});
}

void vmdata_reserved(const TriageReport& r, std::vector<Interpretation>* out) {
  const MemoryReport& m = r.memory;
  if (m.status.vm_data < 0 || m.status.rss_anon < 0) return;
  if (m.status.vm_data < kVmDataOverRssAnonRatio * static_cast<double>(m.status.rss_anon) ||
      m.status.vm_data - m.status.rss_anon < kVmDataOverRssAnonMinBytes)
    return;
  out->push_back({"vmdata_reserved",
                  "VmData much larger than RssAnon: address space reserved but untouched "
                  "(it costs no memory until written)",
                  fmt::format("VmData >= {} x RssAnon and >= {} above it", kVmDataOverRssAnonRatio,
                              bytes(kVmDataOverRssAnonMinBytes)),
                  {"VmData " + bytes(m.status.vm_data), "RssAnon " + bytes(m.status.rss_anon)}});
}

void swap_in_use(const TriageReport& r, std::vector<Interpretation>* out) {
  const MemoryReport& m = r.memory;
  int64_t swap = m.status.vm_swap >= 0 ? m.status.vm_swap : m.smaps.swap;
  if (swap < kSwapMinBytes) return;
  Interpretation i{"swap_in_use", "swap in use: RSS understates this process's memory",
                   fmt::format("VmSwap >= {}", bytes(kSwapMinBytes)),
                   {"VmSwap " + bytes(swap)}};
  if (m.status.vm_rss >= 0) i.facts.push_back("VmRSS " + bytes(m.status.vm_rss));
  out->push_back(std::move(i));
}

void cgroup_near_limit(const TriageReport& r, std::vector<Interpretation>* out) {
  const CgroupMemory& c = r.cgroup;
  if (!c.limited || c.max <= 0 || c.current < 0) return;
  if (c.current < kCgroupNearLimitFraction * static_cast<double>(c.max)) return;
  out->push_back({"cgroup_near_limit",
                  "cgroup memory near its limit: reclaim or the OOM killer will act on it",
                  fmt::format("cgroup usage >= {:.0f} % of its memory limit",
                              kCgroupNearLimitFraction * 100),
                  {fmt::format("cgroup {} uses {} of {}", c.path, bytes(c.current), bytes(c.max))}});
}

void shmem_dominant(const TriageReport& r, std::vector<Interpretation>* out) {
  const MemoryReport& m = r.memory;
  if (m.smaps.pss <= 0 || m.smaps.pss_shmem < 0) return;
  if (m.smaps.pss_shmem < kShmemFraction * static_cast<double>(m.smaps.pss) || m.smaps.pss_shmem < kShmemMinBytes)
    return;
  out->push_back({"shmem_dominant",
                  "most of PSS is shared memory (tmpfs, /dev/shm, memfd, SysV): growth there is "
                  "not the heap",
                  fmt::format("Pss_Shmem >= {:.0f} % of PSS and >= {}", kShmemFraction * 100,
                              bytes(kShmemMinBytes)),
                  {"Pss_Shmem " + bytes(m.smaps.pss_shmem), "PSS " + bytes(m.smaps.pss)}});
}

void device_memory(const TriageReport& r, std::vector<Interpretation>* out) {
  for (const auto& g : r.mappings) {
    if (g.kind != "device" || g.rss < kDeviceRssMinBytes) continue;
    Interpretation i{"device_memory",
                     "device mappings hold resident memory (GPU or driver buffers such as "
                     "/dev/nvidia*, /dev/dri): it counts in RSS but is not the heap",
                     fmt::format("device mappings >= {} resident", bytes(kDeviceRssMinBytes)),
                     {fmt::format("{} device mappings, {} resident", g.count, bytes(g.rss))}};
    for (const auto& e : g.largest) i.facts.push_back(e.name + " " + bytes(e.rss));
    out->push_back(std::move(i));
  }
}

void deleted_files(const TriageReport& r, std::vector<Interpretation>* out) {
  int n = count_of(r.fds.by_type, "deleted_file");
  if (n < kDeletedFdsMin) return;
  out->push_back({"deleted_files_open",
                  fmt::format("{} {} deleted files open: their space is freed only when closed", n,
                              n == 1 ? "fd holds" : "fds hold"),
                  fmt::format(">= {} fd whose target ends in \" (deleted)\"", kDeletedFdsMin),
                  {fmt::format("{} deleted_file fds", n)}});
}

}  // namespace

std::vector<Interpretation> interpret_triage(const TriageReport& report) {
  std::vector<Interpretation> out;
  hwm_above_rss(report, &out);
  glibc_arenas(report, &out);
  close_wait(report, &out);
  fd_near_limit(report, &out);
  vmdata_reserved(report, &out);
  swap_in_use(report, &out);
  cgroup_near_limit(report, &out);
  shmem_dominant(report, &out);
  device_memory(report, &out);
  deleted_files(report, &out);
  return out;
}

}  // namespace leakscope::analyze
