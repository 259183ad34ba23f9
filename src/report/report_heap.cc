// The heap part of the report: for each process with heap data, its ranked call sites
// (the ranking of analyze/heap_sites.h, symbolised frames from report/heap_stacks.h), the
// live-bytes series of the top sites (so a click on a site can show it), and two flame
// graphs: live-heap growth per stack over the sustained window, and bytes never freed.
#include <algorithm>
#include <map>

#include "analyze/heap_sites.h"
#include "analyze/heap_symbols.h"
#include "report/downsample.h"
#include "report/heap_stacks.h"
#include "report/report_build.h"
#include "store/heap_reader.h"

namespace leakscope::report {
namespace {

constexpr size_t kSitePoints = 400;
// Flame-graph boxes narrower than this share of the root are left out: at a laptop width
// they would be under a pixel, and a capture with thousands of stacks stays small.
constexpr double kFlameMinShare = 1.0 / 4000;

// A flame tree under construction: children indexed by (name, where).
struct FlameBuild {
  FlameNode node;
  std::map<std::pair<std::string, std::string>, size_t> index;
  std::vector<FlameBuild> kids;
};

void flame_add(FlameBuild* root, const std::vector<SiteFrame>& frames, int64_t value) {
  if (value <= 0) return;
  root->node.value += value;
  FlameBuild* at = root;
  for (size_t i = frames.size(); i-- > 0;) {  // outermost first
    auto key = std::make_pair(frames[i].function, frames[i].where);
    auto it = at->index.find(key);
    size_t k;
    if (it == at->index.end()) {
      k = at->kids.size();
      at->index.emplace(key, k);
      at->kids.emplace_back();
      at->kids.back().node.name = frames[i].function;
      at->kids.back().node.where = frames[i].where;
    } else {
      k = it->second;
    }
    at = &at->kids[k];
    at->node.value += value;
  }
}

FlameNode flame_finish(FlameBuild&& b, int64_t min_value) {
  FlameNode n = std::move(b.node);
  for (auto& k : b.kids)
    if (k.node.value >= min_value) n.children.push_back(flame_finish(std::move(k), min_value));
  std::sort(n.children.begin(), n.children.end(),
            [](const FlameNode& a, const FlameNode& c) { return a.value > c.value; });
  return n;
}

FlameNode make_flame(FlameBuild&& b, const std::string& root_name) {
  b.node.name = root_name;
  int64_t min_value = std::max<int64_t>(1, static_cast<int64_t>(b.node.value * kFlameMinShare));
  return flame_finish(std::move(b), min_value);
}

std::vector<SiteFrame> site_frames(const store::HeapData& heap, int64_t process_id,
                                   int64_t stack_id, Redactor& redactor) {
  std::vector<SiteFrame> out;
  for (const auto& f : stack_frames(heap, process_id, stack_id)) {
    SiteFrame s;
    s.function = f.label();
    s.where = redactor.apply(f.where());
    s.module = redactor.apply(f.module);
    s.inlined = f.inlined;
    out.push_back(std::move(s));
  }
  return out;
}

// The live bytes of one stack over time, thinned; counters hold between rows, so the last
// value is carried to the process's last heap tick.
void site_series(const std::vector<const store::HeapSiteSample*>& rows, double last_t,
                 SiteReport* site) {
  analyze::Series s;
  for (const auto* r : rows) {
    s.t.push_back(static_cast<double>(r->t_ms) / 1000.0);
    s.v.push_back(static_cast<double>(r->live_bytes));
  }
  if (s.empty()) return;
  if (last_t > s.t.back()) {
    s.t.push_back(last_t);
    s.v.push_back(s.v.back());
  }
  AlignedSeries a = align_min_max({&s}, kSitePoints);
  site->t = std::move(a.t);
  site->live = std::move(a.values[0]);
}

}  // namespace

Status add_heap_reports(store::CaptureReader& reader, const std::string& capture_path,
                        const ModelOptions& options, Redactor& redactor, ReportModel* model) {
  ASSIGN_OR_RETURN(store::HeapData heap, store::read_heap_data(reader));
  if (heap.empty()) return Status::ok();
  const store::CaptureMeta& meta = reader.meta();
  symbolize::DwarfModuleOptions sym_options;
  for (const auto& d : options.debug_dirs) sym_options.debug_dirs.push_back(d);
  auto symbols = analyze::ensure_heap_symbols(capture_path, meta, &heap, sym_options);
  if (!symbols.is_ok()) {
    model->symbol_note = redactor.apply("stacks not symbolised: " + symbols.status().message());
  } else if (symbols->unsymbolised > 0 || !symbols->problems.empty()) {
    model->symbol_note = redactor.apply(
        std::to_string(symbols->unsymbolised) + " of " + std::to_string(symbols->pcs) +
        " addresses could not be symbolised" +
        (symbols->problems.empty() ? "" : " (" + symbols->problems.front() + ")"));
  }
  analyze::SiteOptions site_options;
  for (const auto& hp : heap.processes) {
    // rank_capture_sites per process, keeping the rows: the sites' series come from them.
    ASSIGN_OR_RETURN(auto samples, store::read_heap_site_samples(reader, hp.process_id));
    ASSIGN_OR_RETURN(auto totals, store::read_heap_totals(reader, hp.process_id));
    std::vector<store::HeapUnfreed> unfreed_rows;
    for (const auto& u : heap.unfreed)
      if (u.process_id == hp.process_id) unfreed_rows.push_back(u);
    const analyze::ProcessSites ps =
        analyze::rank_process_sites(hp, samples, totals, unfreed_rows, site_options, {},
                                    analyze::running_until_ms(meta, hp.process_id));
    HeapReport hr;
    hr.process_id = ps.heap.process_id;
    if (const auto* p = meta.find_process(ps.heap.process_id)) hr.pid = p->pid;
    if (const auto* g = meta.latest_generation(ps.heap.process_id)) hr.comm = redactor.apply(g->comm);
    hr.mode = ps.heap.mode;
    hr.status = redactor.apply(ps.heap.status);
    hr.unwinder = ps.heap.unwinder;
    hr.estimated = ps.estimated;
    hr.sample_interval = ps.heap.sample_interval;
    hr.events = ps.heap.events;
    hr.lost_events = ps.heap.lost_events;
    hr.window_t0 = ps.window_t0;
    hr.window_t1 = ps.window_t1;
    hr.window_source = ps.window_source;
    hr.unfreed_at_exit = ps.unfreed_at_exit;
    hr.total_sites = ps.sites.size();

    std::map<int64_t, std::vector<const store::HeapSiteSample*>> by_stack;
    double last_t = 0;
    for (const auto& s : samples) {
      by_stack[s.stack_id].push_back(&s);
      last_t = std::max(last_t, static_cast<double>(s.t_ms) / 1000.0);
    }

    FlameBuild growth, unfreed;
    for (size_t i = 0; i < ps.sites.size(); ++i) {
      const analyze::HeapSite& site = ps.sites[i];
      if (site.stack_ids.empty()) continue;
      std::vector<SiteFrame> frames =
          site_frames(heap, ps.heap.process_id, site.stack_ids.front(), redactor);
      int64_t window_growth = site.window_end_bytes - site.window_start_bytes;
      flame_add(&growth, frames, window_growth);
      if (i >= options.max_sites) continue;
      SiteReport sr;
      sr.rank = i + 1;
      sr.key = site.key;
      sr.growing = site.growth.growing;
      sr.rate = site.growth.rate;
      sr.ci_lo = site.growth.ci_lo;
      sr.ci_hi = site.growth.ci_hi;
      sr.p = site.growth.p;
      sr.live_bytes = site.live_bytes;
      sr.unfreed_bytes = site.unfreed_bytes;
      sr.alloc_bytes = site.alloc_bytes;
      sr.peak_bytes = site.peak_bytes;
      sr.window_growth = window_growth;
      sr.short_lived = site.short_lived_fraction();
      sr.frames = std::move(frames);
      if (i < options.site_series) {
        auto it = by_stack.find(site.stack_ids.front());
        if (it != by_stack.end()) site_series(it->second, last_t, &sr);
      }
      hr.sites.push_back(std::move(sr));
    }
    for (const auto& u : unfreed_rows)
      flame_add(&unfreed, site_frames(heap, u.process_id, u.stack_id, redactor), u.bytes);
    std::string who = "pid " + std::to_string(hr.pid);
    hr.growth_flame = make_flame(std::move(growth), who + " live-heap growth");
    hr.unfreed_flame = make_flame(std::move(unfreed), who + (hr.unfreed_at_exit
                                                                ? " unfreed at exit"
                                                                : " unfreed at end of recording"));
    model->heap.push_back(std::move(hr));
  }
  return Status::ok();
}

}  // namespace leakscope::report
