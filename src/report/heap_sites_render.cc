// Text and JSON for `leakscope sites`; see heap_sites_render.h.
#include "report/heap_sites_render.h"

#include <fmt/format.h>

#include <algorithm>

#include "analyze/stats_basic.h"
#include "base/strings.h"

namespace leakscope::report {
namespace {

using analyze::HeapSite;
using analyze::ProcessSites;

std::string process_title(const SitesView& view, const ProcessSites& p) {
  const auto* info = view.meta->find_process(p.heap.process_id);
  const auto* gen = view.meta->latest_generation(p.heap.process_id);
  return fmt::format("process {} ({})", info ? info->pid : 0, gen ? gen->comm : "?");
}

std::string tracking_line(const ProcessSites& p) {
  std::string mode = p.heap.mode;
  if (p.estimated)
    mode += fmt::format(" every {} on average: counts are estimates",
                        format_bytes(static_cast<double>(p.heap.sample_interval)));
  std::string line = fmt::format("heap tracking: {}", mode);
  if (!p.heap.unwinder.empty()) line += ", unwinder " + p.heap.unwinder;
  if (p.heap.status != "tracking") line += "; " + p.heap.status;
  if (p.heap.lost_events > 0) line += fmt::format("; {} events lost", p.heap.lost_events);
  return line;
}

// A rate per minute without the unit: "+58.6 KiB".
std::string per_min(double bytes_per_s) {
  std::string s = format_bytes(bytes_per_s * 60.0);
  return bytes_per_s >= 0 ? "+" + s : s;
}

std::string percent(double fraction) {
  return fmt::format("{:.0f}%", 100 * fraction);
}

// The site's largest stack, innermost first, as indented lines.
void append_frames(const SitesView& view, const ProcessSites& p, const HeapSite& s,
                   std::string* out) {
  if (s.stack_ids.empty()) return;
  auto frames = stack_frames(*view.heap, p.heap.process_id, s.stack_ids.front());
  size_t shown = view.frames == 0 ? frames.size() : std::min(frames.size(), view.frames);
  for (size_t i = 0; i < shown; ++i) {
    const auto& f = frames[i];
    std::string where = f.where();
    *out += fmt::format(
        "        {}{}{}\n", f.inlined ? "(inlined) " : "", f.label(),
        where.empty() ? (f.module.empty() ? "" : "  [" + f.module + "]") : "  " + where);
  }
  if (shown < frames.size())
    *out += fmt::format("        ... {} more frames\n", frames.size() - shown);
  if (s.stack_ids.size() > 1)
    *out += fmt::format("        (+{} more stacks with this allocating function)\n",
                        s.stack_ids.size() - 1);
}

std::vector<const HeapSite*> selected(const SitesView& view, const ProcessSites& p) {
  std::vector<const HeapSite*> out;
  for (const auto& s : p.sites)
    if (!view.at_exit || s.unfreed_bytes > 0) out.push_back(&s);
  if (view.at_exit)
    std::stable_sort(out.begin(), out.end(), [](const HeapSite* a, const HeapSite* b) {
      return a->unfreed_bytes > b->unfreed_bytes;
    });
  if (view.top > 0 && out.size() > view.top) out.resize(view.top);
  return out;
}

void render_growth(const SitesView& view, const ProcessSites& p, std::string* out) {
  const auto& hv = p.heap_verdict;
  *out +=
      fmt::format("  window {:.1f} s to {:.1f} s: {}\n", p.window_t0, p.window_t1, p.window_source);
  // One tick (a run shorter than the heap tick) shows that tick's value, not a peak: the
  // heap was surely larger between the start and that tick.
  if (p.heap_ticks == 0) *out += "  live heap: no heap tick; ";
  else if (p.heap_ticks == 1)
    *out += fmt::format("  live heap: {} at the only heap tick ({:.1f} s); ",
                        format_bytes(static_cast<double>(p.heap_peak_bytes)), p.heap_peak_t);
  else
    *out += fmt::format("  live heap: peak {} at {:.1f} s over {} heap ticks; ",
                        format_bytes(static_cast<double>(p.heap_peak_bytes)), p.heap_peak_t,
                        p.heap_ticks);
  if (!analyze::heap_rate_judged(hv)) {
    // No rate rather than "+0 B/min": a short run's heap can grow fast in its few ticks.
    if (p.heap_ticks >= 2) *out += fmt::format("{} heap ticks while it ran: ", hv.bins);
    *out += "too few for a rate or a verdict (sites below show their own trends)\n";
  } else {
    *out += fmt::format("{} [{}, {}] in the window; verdict {}\n",
                        format_byte_rate_per_min(hv.rate), format_byte_rate_per_min(hv.ci_lo),
                        format_byte_rate_per_min(hv.ci_hi), analyze::state_name(hv.state));
  }
  auto sites = selected(view, p);
  if (sites.empty()) {
    *out += "  no allocation sites recorded\n";
    return;
  }
  *out +=
      fmt::format("  {:>3}  {:<7}  {:>11}  {:<26}  {:>11}  {:>11}  {:>5}  {}\n", "#", "",
                  "growth/min", "95% interval /min", "live at end", "allocated", "temp", "site");
  size_t rank = 0;
  for (const HeapSite* s : sites) {
    ++rank;
    const auto& g = s->growth;
    *out += fmt::format("  {:>3}  {:<7}  {:>11}  {:<26}  {:>11}  {:>11}  {:>5}  {}\n", rank,
                        g.growing ? "GROWING" : "", per_min(g.rate),
                        "[" + per_min(g.ci_lo) + ", " + per_min(g.ci_hi) + "]",
                        format_bytes(static_cast<double>(s->live_bytes)),
                        format_bytes(static_cast<double>(s->alloc_bytes)),
                        percent(s->short_lived_fraction()), s->key);
    append_frames(view, p, *s, out);
  }
}

// Sampled mode: the unfreed bytes are about (sampled blocks) x interval, a Poisson count;
// its 95% interval says how much can hide behind a small estimate (0 B at 512 KiB: up to
// ~1.8 MiB in small blocks).
std::string sampled_unfreed_interval(int64_t bytes, int64_t interval) {
  double lo = static_cast<double>(bytes), hi = lo;
  analyze::widen_for_sampling(lo, 1.0, static_cast<double>(interval), 0.95, &lo, &hi);
  return fmt::format(" (estimated from samples every {}: 95% interval {} to {})",
                     format_bytes(static_cast<double>(interval)), format_bytes(lo),
                     format_bytes(hi));
}

void render_at_exit(const SitesView& view, const ProcessSites& p, std::string* out) {
  int64_t bytes = 0, blocks = 0;
  for (const auto& s : p.sites) {
    bytes += s.unfreed_bytes;
    blocks += s.unfreed_blocks;
  }
  *out += fmt::format(
      "  {}: {} bytes in {} blocks{}\n",
      p.unfreed_at_exit ? "in use at exit" : "in use at the end of recording (still running)",
      bytes, blocks, p.estimated ? sampled_unfreed_interval(bytes, p.heap.sample_interval) : "");
  size_t rank = 0;
  for (const HeapSite* s : selected(view, p)) {
    ++rank;
    *out += fmt::format("  {:>3}  {} bytes in {} blocks  {}\n", rank, s->unfreed_bytes,
                        s->unfreed_blocks, s->key);
    append_frames(view, p, *s, out);
  }
}

nlohmann::json frames_json(const SitesView& view, const ProcessSites& p, int64_t stack_id) {
  nlohmann::json frames = nlohmann::json::array();
  for (const auto& f : stack_frames(*view.heap, p.heap.process_id, stack_id))
    frames.push_back({{"pc", fmt::format("0x{:x}", f.pc)},
                      {"function", f.label()},
                      {"file", f.file},
                      {"line", f.line},
                      {"module", f.module},
                      {"inlined", f.inlined}});
  return frames;
}

// A process whose allocator was never interposed has no data: "0 bytes in use at exit"
// would be a claim without a measurement.
bool has_no_allocation_data(const ProcessSites& p) {
  return store::never_interposed(p.heap.status) && p.sites.empty();
}

}  // namespace

std::string render_sites_text(const SitesView& view) {
  std::string out;
  for (const auto& p : view.processes) {
    out += fmt::format("{}: {}\n", process_title(view, p), tracking_line(p));
    if (has_no_allocation_data(p))
      out += "  no allocation data: its malloc could not be interposed\n";
    else if (view.at_exit)
      render_at_exit(view, p, &out);
    else
      render_growth(view, p, &out);
    out += "\n";
  }
  return out;
}

nlohmann::json sites_to_json(const SitesView& view) {
  nlohmann::json procs = nlohmann::json::array();
  for (const auto& p : view.processes) {
    const auto* info = view.meta->find_process(p.heap.process_id);
    const auto* gen = view.meta->latest_generation(p.heap.process_id);
    const auto& hv = p.heap_verdict;
    bool judged = analyze::heap_rate_judged(hv);
    nlohmann::json sites = nlohmann::json::array();
    size_t rank = 0;
    for (const HeapSite* s : selected(view, p)) {
      sites.push_back(
          {{"rank", ++rank},
           {"key", s->key},
           {"stack_ids", s->stack_ids},
           {"growing", s->growth.growing},
           {"rate_bytes_per_s", s->growth.rate},
           {"ci_bytes_per_s", {s->growth.ci_lo, s->growth.ci_hi}},
           {"p", s->growth.p},
           {"points", s->growth.points},
           {"window_start_bytes", s->window_start_bytes},
           {"window_end_bytes", s->window_end_bytes},
           {"live_bytes", s->live_bytes},
           {"live_blocks", s->live_blocks},
           {"alloc_bytes", s->alloc_bytes},
           {"alloc_blocks", s->alloc_blocks},
           {"free_bytes", s->free_bytes},
           {"free_blocks", s->free_blocks},
           {"short_lived_blocks", s->short_lived_blocks},
           {"short_lived_fraction", s->short_lived_fraction()},
           {"peak_bytes", s->peak_bytes},
           {"peak_contribution_bytes", s->peak_contribution},
           {"unfreed_bytes", s->unfreed_bytes},
           {"unfreed_blocks", s->unfreed_blocks},
           {"frames", s->stack_ids.empty() ? nlohmann::json::array()
                                           : frames_json(view, p, s->stack_ids.front())}});
    }
    procs.push_back(
        {{"process_id", p.heap.process_id},
         {"pid", info ? info->pid : 0},
         {"comm", gen ? gen->comm : ""},
         {"heap",
          {{"mode", p.heap.mode},
           {"sample_interval", p.heap.sample_interval},
           {"unwinder", p.heap.unwinder},
           {"status", p.heap.status},
           {"events", p.heap.events},
           {"lost_events", p.heap.lost_events}}},
         {"estimated", p.estimated},
         {"window", {{"t0_s", p.window_t0}, {"t1_s", p.window_t1}, {"source", p.window_source}}},
         {"live_heap",
          {{"state", analyze::state_name(hv.state)},
           {"reason", hv.reason},
           // null, not 0, when the ticks are too few for the engine to give a rate
           {"rate_bytes_per_s", judged ? nlohmann::json(hv.rate) : nlohmann::json()},
           {"ci_bytes_per_s", judged ? nlohmann::json({hv.ci_lo, hv.ci_hi}) : nlohmann::json()},
           {"peak_bytes", p.heap_peak_bytes},
           {"peak_t_s", p.heap_peak_t},
           {"heap_ticks", p.heap_ticks}}},
         {"unfreed_at_exit", p.unfreed_at_exit},
         {"sites", sites}});
  }
  return {{"capture", view.capture},
          {"grouping", view.grouping == analyze::SiteGrouping::kFunction ? "function" : "stack"},
          {"view", view.at_exit ? "at-exit" : "growth"},
          {"symbols",
           {{"pcs", view.symbols.pcs},
            {"symbolised_now", view.symbols.new_pcs},
            {"unsymbolised", view.symbols.unsymbolised},
            {"cached", view.symbols.cached},
            {"note", view.symbols.cache_note},
            {"problems", view.symbols.problems}}},
          {"processes", procs}};
}

}  // namespace leakscope::report
