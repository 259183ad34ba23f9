// Text and JSON for `leakscope diff`; see capture_diff_render.h.
#include "report/capture_diff_render.h"

#include <cmath>
#include <cstdio>

#include "analyze/rate_spec.h"
#include "report/experiment_report.h"

namespace leakscope::report {
namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string side_text(const analyze::SideRate& s, const std::string& series) {
  if (!s.present) return "absent";
  return rate_with_ci(s.rate, s.ci_lo, s.ci_hi, series) + " " + analyze::state_name(s.state);
}

std::string change_text(const analyze::RateChange& c, const std::string& series, bool gate) {
  if (!c.before.present || !c.after.present) return "not comparable";
  char buf[96];
  std::string s = analyze::format_series_rate(c.diff, series);
  if (std::isfinite(c.change_pct)) {
    std::snprintf(buf, sizeof(buf), " (%+.0f%%)", c.change_pct);
    s += buf;
  }
  if (std::isfinite(c.p)) {
    std::snprintf(buf, sizeof(buf), ", p=%.2g", c.p);
    s += buf;
  }
  s += c.significant ? (c.diff > 0 ? ", significantly faster" : ", significantly slower")
                     : ", not significant";
  if (gate && c.worse) s += "  WORSE";
  return s;
}

json side_json(const analyze::SideRate& s) {
  if (!s.present) return nullptr;
  return {{"state", analyze::state_name(s.state)}, {"rate_per_s", number(s.rate)},
          {"ci_lo", number(s.ci_lo)}, {"ci_hi", number(s.ci_hi)}};
}

json change_json(const analyze::RateChange& c) {
  return {{"before", side_json(c.before)}, {"after", side_json(c.after)},
          {"diff_per_s", number(c.diff)},  {"change_pct", number(c.change_pct)},
          {"p", number(c.p)},              {"significant", c.significant},
          {"worse", c.worse}};
}

}  // namespace

std::string render_diff_text(const analyze::CaptureDiff& d, bool gate) {
  std::string o = "leakscope diff: " + d.base + " (before) vs " + d.candidate + " (after)\n\n";
  for (const auto& p : d.processes) {
    o += p.key;
    if (p.pid_before || p.pid_after)
      o += "  [" + (p.pid_before ? p.comm_before + " pid " + std::to_string(p.pid_before) : "absent") +
           " -> " + (p.pid_after ? p.comm_after + " pid " + std::to_string(p.pid_after) : "absent") + "]";
    o += "\n";
    for (const auto& s : p.series) {
      o += "  " + s.series + ": " + side_text(s.change.before, s.series) + " -> " +
           side_text(s.change.after, s.series) + "\n    change " +
           change_text(s.change, s.series, gate) + "\n";
    }
  }
  o += "\nHeap sites: ";
  if (!d.heap_compared) {
    o += "not compared: " + d.heap_note + "\n";
  } else if (d.sites.empty()) {
    o += d.heap_uncompared.empty()
             ? "none grows in either capture, and none changed significantly\n"
             : "none of the compared processes' sites grows in either capture, and none changed "
               "significantly\n";
  } else {
    o += "\n";
    for (const auto& s : d.sites)
      o += "  " + s.process_key + ": " + s.stack + "\n    " + side_text(s.change.before, "heap") +
           " -> " + side_text(s.change.after, "heap") + "\n    change " +
           change_text(s.change, "heap", gate) + "\n";
  }
  for (const auto& u : d.heap_uncompared) o += "  not compared: " + u + "\n";
  o += "\nChanges are tested with a two-sample z test on the two rate estimates (p < 0.05).\n";
  return o;
}

json diff_to_json(const analyze::CaptureDiff& d) {
  json procs = json::array();
  for (const auto& p : d.processes) {
    json series = json::array();
    for (const auto& s : p.series) {
      json j = change_json(s.change);
      j["series"] = s.series;
      series.push_back(j);
    }
    procs.push_back({{"key", p.key},
                     {"comm_before", p.comm_before},
                     {"comm_after", p.comm_after},
                     {"pid_before", p.pid_before},
                     {"pid_after", p.pid_after},
                     {"series", series}});
  }
  json sites = json::array();
  for (const auto& s : d.sites) {
    json j = change_json(s.change);
    j["process"] = s.process_key;
    j["stack"] = s.stack;
    sites.push_back(j);
  }
  return {{"format", "leakscope-diff"},  {"version", 1},
          {"base", d.base},              {"candidate", d.candidate},
          {"processes", procs},          {"heap_compared", d.heap_compared},
          {"heap_note", d.heap_note},    {"heap_uncompared", d.heap_uncompared},
          {"sites", sites},
          {"worse", d.any_worse}};
}

}  // namespace leakscope::report
