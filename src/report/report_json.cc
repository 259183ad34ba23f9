// The report model as JSON: embedded in the HTML page (read by src/report/web/report.js)
// and written by `leakscope report --format json`. NaN becomes null; times are rounded to
// the millisecond and byte values to whole bytes, which keeps big reports small.
#include "report/report_json.h"

#include <cmath>
#include <string>
#include <unordered_map>

#include "analyze/series_verdict.h"

namespace leakscope::report {
namespace {

using nlohmann::json;

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
json ms(double t) { return std::isfinite(t) ? json(std::round(t * 1000) / 1000) : json(nullptr); }

json times(const std::vector<double>& t) {
  json a = json::array();
  a.get_ref<json::array_t&>().reserve(t.size());
  for (double x : t) a.push_back(ms(x));
  return a;
}

json values(const std::vector<double>& v, bool whole) {
  json a = json::array();
  a.get_ref<json::array_t&>().reserve(v.size());
  for (double x : v) {
    if (!std::isfinite(x)) a.push_back(nullptr);
    else if (whole) a.push_back(static_cast<int64_t>(std::llround(x)));
    else a.push_back(std::round(x * 100) / 100);
  }
  return a;
}

json chart_json(const Chart& c) {
  json lines = json::array();
  for (const auto& l : c.lines) {
    json j = {{"name", l.name},       {"source", l.source}, {"state", l.state},
              {"rate", num(l.rate)},  {"ci_lo", num(l.ci_lo)}, {"ci_hi", num(l.ci_hi)},
              {"warmup_end", ms(l.warmup_end)}};
    j["window"] = std::isfinite(l.window_t0) ? json{ms(l.window_t0), ms(l.window_t1)} : json(nullptr);
    j["fit"] = std::isfinite(l.fit_t0) ? json{ms(l.fit_t0), num(l.fit_v0), ms(l.fit_t1), num(l.fit_v1)}
                                       : json(nullptr);
    lines.push_back(std::move(j));
  }
  json vals = json::array();
  for (const auto& v : c.values) vals.push_back(values(v, c.bytes));
  return {{"id", c.id},       {"title", c.title},     {"bytes", c.bytes},
          {"thinned", c.thinned}, {"original_points", c.original_points},
          {"t", times(c.t)},  {"lines", std::move(lines)}, {"values", std::move(vals)}};
}

json flame_json(const FlameNode& n) {
  json j = {{"n", n.name}, {"w", n.where}, {"v", n.value}};
  if (!n.children.empty()) {
    json c = json::array();
    for (const auto& k : n.children) c.push_back(flame_json(k));
    j["c"] = std::move(c);
  }
  return j;
}

json facts_json(const std::vector<Fact>& facts) {
  json a = json::array();
  for (const auto& f : facts) a.push_back({{"name", f.name}, {"value", f.value}});
  return a;
}

// Stacks of different sites share most of their frames (main, the event loop, the
// allocator's wrappers...): each distinct frame is written once, in "heap_frames" as
// [function, where, module, inlined], and a site's "frames" are indices into it. Without
// this a capture of 40 short-lived processes made a 60 MiB page.
class FrameTable {
 public:
  int index(const SiteFrame& f) {
    std::string key = f.function + '\0' + f.where + '\0' + f.module + (f.inlined ? "\1" : "\0");
    auto [it, added] = index_.emplace(std::move(key), static_cast<int>(rows_.size()));
    if (added) rows_.push_back(json::array({f.function, f.where, f.module, f.inlined}));
    return it->second;
  }
  json take() { return std::move(rows_); }

 private:
  std::unordered_map<std::string, int> index_;
  json rows_ = json::array();
};

json heap_json(const HeapReport& h, FrameTable* table) {
  json sites = json::array();
  for (const auto& s : h.sites) {
    json frames = json::array();
    for (const auto& f : s.frames) frames.push_back(table->index(f));
    sites.push_back({{"rank", s.rank},           {"key", s.key},
                     {"growing", s.growing},     {"rate", num(s.rate)},
                     {"ci_lo", num(s.ci_lo)},    {"ci_hi", num(s.ci_hi)},
                     {"p", num(s.p)},            {"live", s.live_bytes},
                     {"unfreed", s.unfreed_bytes}, {"alloc", s.alloc_bytes},
                     {"peak", s.peak_bytes},     {"window_growth", s.window_growth},
                     {"short_lived", num(s.short_lived)}, {"frames", std::move(frames)},
                     {"series_t", times(s.t)},   {"series_live", values(s.live, true)}});
  }
  return {{"pid", h.pid},
          {"comm", h.comm},
          {"mode", h.mode},
          {"status", h.status},
          {"unwinder", h.unwinder},
          {"estimated", h.estimated},
          {"sample_interval", h.sample_interval},
          {"events", h.events},
          {"lost_events", h.lost_events},
          {"window", {ms(h.window_t0), ms(h.window_t1)}},
          {"window_source", h.window_source},
          {"unfreed_at_exit", h.unfreed_at_exit},
          {"total_sites", h.total_sites},
          {"sites", std::move(sites)},
          {"growth_flame", flame_json(h.growth_flame)},
          {"unfreed_flame", flame_json(h.unfreed_flame)}};
}

}  // namespace

nlohmann::json report_to_json(const ReportModel& m) {
  json processes = json::array();
  for (const auto& p : m.processes) {
    json charts = json::array();
    for (const auto& c : p.charts) charts.push_back(chart_json(c));
    processes.push_back({{"pid", p.pid},
                         {"depth", p.depth},
                         {"comm", p.comm},
                         {"cmdline", p.cmdline},
                         {"exe", p.exe},
                         {"end_state", p.end_state},
                         {"first_seen_s", ms(p.first_seen_s)},
                         {"last_seen_s", ms(p.last_seen_s)},
                         {"exit_code", p.exit_code},
                         {"exit_signal", p.exit_signal},
                         {"judged", p.judged},
                         {"state", p.state},
                         {"finding", p.finding},
                         {"growth_class", p.growth_class},
                         {"allocator_retention", p.allocator_retention},
                         {"residence_share", num(p.residence_share)},
                         {"memory_source", p.memory_source},
                         {"peak_memory", num(p.peak_memory)},
                         {"final_memory", num(p.final_memory)},
                         {"peak_fds", num(p.peak_fds)},
                         {"final_fds", num(p.final_fds)},
                         {"peak_threads", num(p.peak_threads)},
                         {"final_threads", num(p.final_threads)},
                         {"read_us_mean", num(p.read_us_mean)},
                         {"charts", std::move(charts)}});
  }
  json evidence = json::array();
  for (const auto& e : m.verdict.evidence) evidence.push_back({{"label", e.label}, {"text", e.text}});
  json tree_series = json::array();
  for (const auto& sv : m.verdict.tree.series)
    tree_series.push_back({{"name", sv.r.name},
                           {"source", sv.r.source},
                           {"state", analyze::state_name(sv.r.state)},
                           {"rate", num(sv.r.rate)},
                           {"ci_lo", num(sv.r.ci_lo)},
                           {"ci_hi", num(sv.r.ci_hi)},
                           {"window", {ms(sv.r.window_t0), ms(sv.r.window_t1)}}});
  json phase_stats = json::array();
  for (const auto& ph : m.verdict.phases) {
    json growth = json::array();
    for (const auto& g : ph.growth)
      growth.push_back({{"pid", g.pid}, {"comm", g.comm}, {"series", g.series},
                        {"growth", num(g.growth)}, {"rate", num(g.rate)}});
    phase_stats.push_back({{"label", ph.label}, {"intervals", ph.intervals},
                           {"duration_s", num(ph.duration_s)}, {"cpu_pct", num(ph.cpu_pct)},
                           {"growth", std::move(growth)}});
  }
  json phases = json::array();
  for (const auto& p : m.phases) phases.push_back({{"label", p.label}, {"t0", ms(p.t0)}, {"t1", ms(p.t1)}});
  json marks = json::array();
  for (const auto& mk : m.marks)
    marks.push_back({{"t", ms(mk.t)}, {"label", mk.label}, {"source", mk.source}, {"text", mk.text}});
  json heap = json::array();
  FrameTable frame_table;
  for (const auto& h : m.heap) heap.push_back(heap_json(h, &frame_table));
  return {{"schema", kReportSchemaVersion},
          {"capture", m.capture_name},
          {"version", m.leakscope_version},
          {"redacted", m.redacted},
          {"redaction", m.redaction_summary},
          {"kind", m.verdict_kind},
          {"headline", m.headline},
          {"evidence", std::move(evidence)},
          {"notes", m.verdict.notes},
          {"duration_s", ms(m.duration_s)},
          {"processes", std::move(processes)},
          {"tree", {{"state", analyze::state_name(m.verdict.tree.state)},
                    {"residence_series", m.verdict.tree.residence_series},
                    {"series", std::move(tree_series)}}},
          {"phase_stats", std::move(phase_stats)},
          {"phases", std::move(phases)},
          {"marks", std::move(marks)},
          {"facts", facts_json(m.facts)},
          {"sources", facts_json(m.sources)},
          {"costs", facts_json(m.costs)},
          {"cannot_show", m.cannot_show},
          {"reproduce", m.reproduce},
          {"symbol_note", m.symbol_note},
          {"heap", std::move(heap)},
          {"heap_frames", frame_table.take()}};
}

}  // namespace leakscope::report
