// Heap call-site ranking; see heap_sites.h.
#include "analyze/heap_sites.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "analyze/heap_symbols.h"
#include "analyze/series.h"
#include "analyze/stats_basic.h"
#include "analyze/stats_trend.h"

namespace leakscope::analyze {
namespace {

using store::HeapSiteSample;

double seconds(int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

// The common time grid: every heap tick of the process (totals are written every tick;
// site rows only when a stack changed, so they are a subset, merged in for safety).
std::vector<int64_t> tick_grid(const std::vector<HeapSiteSample>& samples,
                               const std::vector<store::HeapTotal>& totals) {
  std::vector<int64_t> grid;
  grid.reserve(totals.size());
  for (const auto& t : totals) grid.push_back(t.t_ms);
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  // Only site times missing from the totals need merging (normally none).
  std::vector<int64_t> extra;
  for (const auto& s : samples)
    if (!std::binary_search(grid.begin(), grid.end(), s.t_ms)) extra.push_back(s.t_ms);
  if (extra.empty()) return grid;
  grid.insert(grid.end(), extra.begin(), extra.end());
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  return grid;
}

// Adds one stack's live bytes, forward-filled over the grid (0 before its first row), to
// `dense`. `rows` are in time order.
void add_forward_filled(const std::vector<const HeapSiteSample*>& rows,
                        const std::vector<int64_t>& grid, std::vector<double>* dense) {
  size_t r = 0;
  double value = 0;
  for (size_t i = 0; i < grid.size(); ++i) {
    while (r < rows.size() && rows[r]->t_ms <= grid[i])
      value = static_cast<double>(rows[r++]->live_bytes);
    (*dense)[i] += value;
  }
}

// Index of the last grid point at or before t (0 when none is).
size_t index_at(const std::vector<double>& t, double at) {
  auto it = std::upper_bound(t.begin(), t.end(), at);
  return it == t.begin() ? 0 : static_cast<size_t>(it - t.begin()) - 1;
}

SiteGrowth site_trend(const std::vector<double>& t, const std::vector<double>& live, size_t begin,
                      size_t end, int64_t sample_interval, const SiteOptions& options) {
  SiteGrowth g;
  if (end <= begin + 1) return g;
  bool constant = std::all_of(live.begin() + static_cast<std::ptrdiff_t>(begin),
                              live.begin() + static_cast<std::ptrdiff_t>(end),
                              [&](double v) { return v == live[begin]; });
  if (constant) {
    g.ci_lo = g.ci_hi = 0;
    g.points = end - begin;
    return g;
  }
  // The same binning as the verdict: medians on a regular grid of ~target_bins points.
  Series s;
  s.t.assign(t.begin() + static_cast<std::ptrdiff_t>(begin),
             t.begin() + static_cast<std::ptrdiff_t>(end));
  s.v.assign(live.begin() + static_cast<std::ptrdiff_t>(begin),
             live.begin() + static_cast<std::ptrdiff_t>(end));
  double span = s.t.back() - s.t.front();
  size_t bins_wanted = std::max<size_t>(options.params.target_bins, 1);
  Bins b = bin_series(s, span > 0 ? span / static_cast<double>(bins_wanted) * 1.0000001 : 1);
  g.points = b.size();
  if (b.size() < 3) return g;
  TrendTest tt = trend_test(b.t, b.med, 0, b.size(), options.params.confidence);
  g.rate = tt.sen.slope;
  g.ci_lo = tt.sen.ci_lo;
  g.ci_hi = tt.sen.ci_hi;
  g.p = tt.p;
  if (sample_interval > 0)
    widen_for_sampling(live[end - 1] - live[begin], t[end - 1] - t[begin],
                       static_cast<double>(sample_interval), options.params.confidence, &g.ci_lo,
                       &g.ci_hi);
  g.growing = g.rate > 0 && g.ci_lo > 0 && g.p < options.params.alpha;
  return g;
}

// The sustained window: the verdict engine's final regime of the live-heap total.
void choose_window(const std::vector<double>& t, const std::vector<double>& total,
                   int64_t sample_interval, const SiteOptions& options, ProcessSites* out) {
  Series heap;
  heap.name = "heap";
  heap.source = "live heap (malloc-family bytes from the heap tracker)";
  heap.kind = SeriesKind::kBytes;
  heap.t = t;
  heap.v = total;
  out->heap_verdict = evaluate_series(heap, options.params);
  SeriesResult& hv = out->heap_verdict;
  double span = hv.window_t1 - hv.window_t0;
  if (sample_interval > 0 && heap_rate_judged(hv) && span > 0)
    widen_for_sampling(hv.rate * span, span, static_cast<double>(sample_interval),
                       options.params.confidence, &hv.ci_lo, &hv.ci_hi);
  if (!std::isnan(options.window_t0) && !std::isnan(options.window_t1)) {
    out->window_t0 = options.window_t0;
    out->window_t1 = options.window_t1;
    out->window_source = "the window asked for";
    return;
  }
  const SeriesResult& r = out->heap_verdict;
  if (!t.empty() && r.window_t1 > r.window_t0 && r.bins >= kMinHeapVerdictBins) {
    out->window_t0 = r.window_t0;
    out->window_t1 = r.window_t1;
    out->window_source =
        heap_rate_judged(r)
            ? "the final regime of the live heap (verdict engine: " +
                  std::string(state_name(r.state)) + ")"
            : std::string("all of the heap-tracked time (too few ticks to look for regimes)");
    return;
  }
  // Too little data for the segmentation: the trailing half of the tracked time.
  out->window_t0 = t.empty() ? 0 : (t.front() + t.back()) / 2;
  out->window_t1 = t.empty() ? 0 : t.back();
  out->window_source = "the trailing half of the heap-tracked time (too few ticks for the verdict)";
}

bool ranks_before(const HeapSite& a, const HeapSite& b) {
  if (a.growth.growing != b.growth.growing) return a.growth.growing;
  if (a.growth.growing && a.growth.rate != b.growth.rate) return a.growth.rate > b.growth.rate;
  // What the running program held at the window's end first: a site its teardown freed
  // (live 0 at the end) still held it while it ran. A 6 s Python run that leaked 15 MiB
  // through one site ranked it below 256 KiB of arenas when this used the end alone.
  if (a.window_end_bytes != b.window_end_bytes) return a.window_end_bytes > b.window_end_bytes;
  if (a.live_bytes != b.live_bytes) return a.live_bytes > b.live_bytes;
  if (a.alloc_bytes != b.alloc_bytes) return a.alloc_bytes > b.alloc_bytes;
  return a.key < b.key;
}

}  // namespace

ProcessSites rank_process_sites(const store::HeapProcess& heap,
                                const std::vector<HeapSiteSample>& samples,
                                const std::vector<store::HeapTotal>& totals,
                                const std::vector<store::HeapUnfreed>& unfreed,
                                const SiteOptions& options, const GroupKeyFn& group_key,
                                int64_t running_until_ms) {
  ProcessSites out;
  out.heap = heap;
  out.estimated = heap.mode == "sampled";

  std::map<int64_t, std::vector<const HeapSiteSample*>> by_stack;
  for (const auto& s : samples) by_stack[s.stack_id].push_back(&s);
  for (auto& [id, rows] : by_stack)
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto* a, const auto* b) { return a->t_ms < b->t_ms; });
  std::map<int64_t, std::pair<int64_t, int64_t>> unfreed_by_stack;
  for (const auto& u : unfreed) {
    auto& v = unfreed_by_stack[u.stack_id];
    v.first += u.bytes;
    v.second += u.blocks;
    if (!u.at_exit) out.unfreed_at_exit = false;
  }

  std::vector<int64_t> grid_ms = tick_grid(samples, totals);
  std::vector<double> t(grid_ms.size());
  for (size_t i = 0; i < grid_ms.size(); ++i) t[i] = seconds(grid_ms[i]);

  // The live-heap total: as recorded per tick, else the sum of the sites.
  std::vector<double> total(grid_ms.size(), 0);
  if (!totals.empty()) {
    size_t k = 0;
    double value = 0;
    for (size_t i = 0; i < grid_ms.size(); ++i) {
      while (k < totals.size() && totals[k].t_ms <= grid_ms[i])
        value = static_cast<double>(totals[k++].live_bytes);
      total[i] = value;
    }
  } else {
    for (const auto& [id, rows] : by_stack) add_forward_filled(rows, grid_ms, &total);
  }
  size_t peak_index = 0;
  for (size_t i = 0; i < total.size(); ++i)
    if (total[i] > total[peak_index]) peak_index = i;
  out.heap_ticks = total.size();
  if (!total.empty()) {
    out.heap_peak_t = t[peak_index];
    out.heap_peak_bytes = static_cast<int64_t>(total[peak_index]);
  }
  // The window is chosen among the running program's ticks (teardown rows left out, as
  // long as two ticks remain); `end` then stays inside them for every site's trend too.
  size_t running = grid_ms.size();
  while (running > 2 && grid_ms[running - 1] >= running_until_ms) --running;
  std::vector<double> t_running(t.begin(), t.begin() + static_cast<long>(running));
  std::vector<double> total_running(total.begin(), total.begin() + static_cast<long>(running));
  choose_window(t_running, total_running, out.estimated ? heap.sample_interval : 0, options,
                &out);
  size_t begin = t.empty() ? 0 : index_at(t, out.window_t0);
  if (begin < t.size() && t[begin] < out.window_t0 && begin + 1 < t.size()) ++begin;
  size_t end = t.empty() ? 0 : index_at(t, out.window_t1) + 1;

  // Group the stacks: one site per stack, or per allocating function.
  std::map<std::string, std::vector<int64_t>> groups;
  for (const auto& [id, rows] : by_stack) {
    std::string key = options.grouping == SiteGrouping::kFunction && group_key
                          ? group_key(id)
                          : "stack " + std::to_string(id);
    groups[key].push_back(id);
  }
  for (const auto& [id, u] : unfreed_by_stack)
    if (by_stack.count(id) == 0) {
      std::string key = options.grouping == SiteGrouping::kFunction && group_key
                            ? group_key(id)
                            : "stack " + std::to_string(id);
      groups[key].push_back(id);
    }

  std::vector<double> live(grid_ms.size());
  for (auto& [key, ids] : groups) {
    HeapSite site;
    site.key = key;
    std::fill(live.begin(), live.end(), 0.0);
    std::vector<std::pair<int64_t, int64_t>> order;  // (live bytes, stack) for stack_ids
    for (int64_t id : ids) {
      auto it = by_stack.find(id);
      if (it != by_stack.end() && !it->second.empty()) {
        add_forward_filled(it->second, grid_ms, &live);
        const HeapSiteSample& last = *it->second.back();
        site.live_bytes += last.live_bytes;
        site.live_blocks += last.live_blocks;
        site.alloc_bytes += last.alloc_bytes;
        site.alloc_blocks += last.alloc_blocks;
        site.free_bytes += last.free_bytes;
        site.free_blocks += last.free_blocks;
        site.short_lived_blocks += last.short_lived_blocks;
        order.emplace_back(last.live_bytes, id);
      } else {
        order.emplace_back(0, id);
      }
      auto u = unfreed_by_stack.find(id);
      if (u != unfreed_by_stack.end()) {
        site.unfreed_bytes += u->second.first;
        site.unfreed_blocks += u->second.second;
      }
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const auto& [bytes, id] : order) site.stack_ids.push_back(id);
    if (!live.empty()) {
      site.peak_bytes = static_cast<int64_t>(*std::max_element(live.begin(), live.end()));
      site.peak_contribution = static_cast<int64_t>(live[peak_index]);
    }
    if (begin < end && end <= live.size()) {
      site.window_start_bytes = static_cast<int64_t>(live[begin]);
      site.window_end_bytes = static_cast<int64_t>(live[end - 1]);
      site.growth =
          site_trend(t, live, begin, end, out.estimated ? heap.sample_interval : 0, options);
    }
    out.sites.push_back(std::move(site));
  }
  std::sort(out.sites.begin(), out.sites.end(), ranks_before);
  return out;
}

int64_t running_until_ms(const store::CaptureMeta& meta, int64_t process_id) {
  const store::ProcessInfo* info = meta.find_process(process_id);
  if (info == nullptr || info->exit_ms < 0) return INT64_MAX;
  return info->exit_ms - meta.run.tick_ms;
}

StatusOr<std::vector<ProcessSites>> rank_capture_sites(store::CaptureReader& reader,
                                                       const store::HeapData& heap,
                                                       const std::vector<int64_t>& process_ids,
                                                       const SiteOptions& options) {
  std::vector<ProcessSites> out;
  for (const auto& hp : heap.processes) {
    if (!process_ids.empty() &&
        std::find(process_ids.begin(), process_ids.end(), hp.process_id) == process_ids.end())
      continue;
    ASSIGN_OR_RETURN(auto samples, store::read_heap_site_samples(reader, hp.process_id));
    ASSIGN_OR_RETURN(auto totals, store::read_heap_totals(reader, hp.process_id));
    std::vector<store::HeapUnfreed> unfreed;
    for (const auto& u : heap.unfreed)
      if (u.process_id == hp.process_id) unfreed.push_back(u);
    GroupKeyFn key = [&heap, id = hp.process_id](int64_t stack_id) {
      return allocating_function(heap, id, stack_id);
    };
    out.push_back(rank_process_sites(hp, samples, totals, unfreed, options, key,
                                     running_until_ms(reader.meta(), hp.process_id)));
  }
  return out;
}

}  // namespace leakscope::analyze
