// Growth classification; see memory_class.h.
#include "analyze/memory_class.h"

#include <fmt/format.h>

#include <cmath>

#include "analyze/stats_basic.h"
#include "base/strings.h"

namespace leakscope::analyze {
namespace {

const char* class_of(const std::string& series) {
  if (series == "anon") return "private-anonymous";
  if (series == "file") return "file-backed";
  if (series == "shmem") return "shared";
  if (series == "swap") return "swap";
  return "none";
}

std::string per_min(double bytes_per_s) { return format_byte_rate_per_min(bytes_per_s); }

}  // namespace

MemoryClass classify_growth(const ProcessVerdict& p, const ClassInputs& in) {
  MemoryClass mc;
  mc.growth_class = "none";
  const SeriesVerdict* top = nullptr;
  for (const auto& sv : p.series) {
    if (sv.r.kind != SeriesKind::kBytes || sv.r.state != State::kSustainedGrowth) continue;
    if (!top || sv.r.rate > top->r.rate) top = &sv;
  }
  mc.heap_data = in.live_heap && !in.live_heap->empty();
  if (!top) return mc;
  mc.growth_class = class_of(top->r.name);
  const SeriesResult& g = top->r;
  if (mc.growth_class != "private-anonymous") {
    mc.evidence.push_back(fmt::format("the growing memory is {} ({} {} on {:.1f}-{:.1f} s), not "
                                      "private heap memory",
                                      mc.growth_class, g.source, per_min(g.rate), g.window_t0,
                                      g.window_t1));
    return mc;
  }
  bool heap_flat = false, heap_grows = false;
  if (mc.heap_data) {
    double hs, hlo, hhi;
    if (window_trend(*in.live_heap, g.window_t0, g.window_t1, &hs, &hlo, &hhi)) {
      // Sampled: a flat-looking estimate may only have had few steps; claim no more than
      // the step count allows.
      double span = g.window_t1 - g.window_t0;
      widen_for_sampling(hs * span, span, static_cast<double>(in.heap_sample_interval), 0.95,
                         &hlo, &hhi);
      heap_flat = hhi < 0.25 * g.rate;
      heap_grows = hlo > 0.5 * g.rate;
      mc.evidence.push_back(fmt::format(
          "live heap (heap tracker) {} (95% CI {} to {}) while {} {} on {:.1f}-{:.1f} s",
          per_min(hs), per_min(hlo), per_min(hhi), g.source, per_min(g.rate), g.window_t0,
          g.window_t1));
      if (heap_grows)
        mc.evidence.push_back("live allocations grow with RSS: memory is being kept, not only "
                              "retained by the allocator");
    }
  }
  // Arena-sized reservations that appeared during the growth window.
  int64_t arenas_first = -1, arenas_last = -1;
  for (const auto& m : in.maps) {
    double t = static_cast<double>(m.t_ms) / 1000.0;
    if (m.arena_like < 0 || t < g.window_t0 - 10 || t > g.window_t1) continue;
    if (arenas_first < 0) arenas_first = m.arena_like;
    arenas_last = m.arena_like;
  }
  bool new_arenas = arenas_first >= 0 && arenas_last > arenas_first;
  if (arenas_first >= 0)
    mc.evidence.push_back(fmt::format(
        "64 MiB-aligned anonymous reservations (glibc arena shape) in /proc/{}/maps: {} -> {} "
        "during the window",
        p.pid, arenas_first, arenas_last));
  if (in.vm_data && !in.vm_data->empty()) {
    double vs, vlo, vhi;
    if (window_trend(*in.vm_data, g.window_t0, g.window_t1, &vs, &vlo, &vhi) &&
        vs > 2 * g.rate && vs - g.rate > 1024.0 * 1024.0 / 60)
      mc.evidence.push_back(fmt::format("VmData grows faster than {} ({} vs {}): address space is "
                                        "reserved ahead of use, as allocator arenas do",
                                        g.source, per_min(vs), per_min(g.rate)));
  }
  mc.allocator_retention_suspected = heap_flat || (!mc.heap_data && new_arenas);
  if (mc.allocator_retention_suspected)
    mc.evidence.push_back(heap_flat ? "RSS grows while the live heap is flat: allocator retention "
                                      "suspected (freed memory kept by malloc), not a leak"
                                    : "new arena-sized reservations appeared while anonymous "
                                      "memory grew: allocator retention suspected; live-heap "
                                      "data from the heap tracker would settle it");
  return mc;
}

}  // namespace leakscope::analyze
