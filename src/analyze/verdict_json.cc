// verdict_to_json: the machine-readable verdict, schema in docs/verdict-schema.md
// (schema_version 1). Times are seconds since the recording started; rates are per
// second (bytes or counts), with per-minute and per-hour copies for convenience. Values
// that do not exist (no warm-up, an unbounded time to limit) are null, never 0.
#include <cmath>

#include "analyze/verdict.h"

namespace leakscope::analyze {
namespace {

using nlohmann::json;

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json series_json(const SeriesVerdict& sv) {
  const SeriesResult& r = sv.r;
  json j = {
      {"series", r.name},
      {"source", r.source},
      {"unit", r.kind == SeriesKind::kBytes ? "bytes" : "count"},
      {"state", state_name(r.state)},
      {"reason", r.reason},
      {"rate_per_s", num(r.rate)},
      {"rate_per_min", num(r.rate * 60)},
      {"rate_per_hour", num(r.rate * 3600)},
      {"ci95", {num(r.ci_lo), num(r.ci_hi)}},
      {"p_value", num(r.p)},
      {"window", {num(r.window_t0), num(r.window_t1)}},
      {"warmup_end_s", num(r.warmup_end)},
      {"need_more_s", r.state == State::kSettling ? num(r.need_more_s) : json(nullptr)},
      {"first", {num(r.t_first), num(r.first_value)}},
      {"last", {num(r.t_last), num(r.last_value)}},
      {"peak_value", num(r.peak_value)},
      {"level", num(r.level)},
      {"rate_floor_per_s", num(r.rate_floor)},
      {"lower_envelope", r.envelope},
      {"breaks_s", r.break_times},
      {"hamed_rao_variance_ratio", num(r.n_ratio)},
  };
  if (r.transient.present)
    j["transient"] = {{"tau_s", num(r.transient.tau)}, {"amplitude", num(-r.transient.c)}};
  else
    j["transient"] = nullptr;
  if (sv.to_limit) {
    const TimeToLimit& t = *sv.to_limit;
    j["time_to_limit"] = {{"limit", t.limit},           {"limit_value", num(t.limit_value)},
                          {"headroom", num(t.headroom)}, {"eta_s", num(t.eta_s)},
                          {"eta_earliest_s", num(t.eta_earliest_s)},
                          {"eta_latest_s", num(t.eta_latest_s)}};
  } else {
    j["time_to_limit"] = nullptr;
  }
  return j;
}

}  // namespace

nlohmann::json verdict_to_json(const Verdict& v) {
  json j;
  j["schema_version"] = kVerdictSchemaVersion;
  j["capture"] = v.capture;
  j["evaluated_at_s"] = v.evaluated_at_s;
  j["recording_end_s"] = v.recording_end_s;
  j["sustained_growth_found"] = v.sustained_growth_found;
  j["limits"] = {{"cgroup_memory_max", v.cgroup_mem_max > 0 ? json(v.cgroup_mem_max) : json(nullptr)},
                 {"mem_total", v.mem_total > 0 ? json(v.mem_total) : json(nullptr)},
                 {"rlimit_nofile", v.nofile_limit > 0 ? json(v.nofile_limit) : json(nullptr)}};
  json procs = json::array();
  for (const auto& p : v.processes) {
    json series = json::array();
    for (const auto& sv : p.series) series.push_back(series_json(sv));
    json evidence = p.memory_class.evidence;
    json busy = nullptr;
    if (p.busy_idle.available)
      busy = {{"series", p.busy_idle_series},
              {"busy_fraction", p.busy_idle.busy_fraction},
              {"busy_rate_per_s", p.busy_idle.busy_rate},
              {"idle_rate_per_s", p.busy_idle.idle_rate},
              {"busy_cpu_pct", p.busy_idle.busy_cpu_pct},
              {"idle_cpu_pct", p.busy_idle.idle_cpu_pct}};
    procs.push_back({{"pid", p.pid},
                     {"parent_pid", p.parent_pid > 0 ? json(p.parent_pid) : json(nullptr)},
                     {"start_time", num(p.start_time_s)},
                     {"comm", p.comm},
                     {"cmdline", p.cmdline},
                     {"first_seen_s", p.first_seen_s},
                     {"last_seen_s", p.last_seen_s},
                     {"exited", p.exited},
                     {"cpu_pct", num(p.cpu_pct)},
                     {"state", state_name(p.state)},
                     {"series", series},
                     {"memory_class",
                      {{"growth_class", p.memory_class.growth_class},
                       {"allocator_retention_suspected",
                        p.memory_class.allocator_retention_suspected},
                       {"heap_data", p.memory_class.heap_data},
                       {"evidence", evidence}}},
                     {"busy_idle", busy}});
  }
  j["processes"] = procs;
  json tree_series = json::array();
  for (const auto& sv : v.tree.series) tree_series.push_back(series_json(sv));
  json residence = json::array();
  for (const auto& r : v.tree.residence)
    residence.push_back({{"pid", r.pid},
                         {"comm", r.comm},
                         {"share", r.share},
                         {"rate_per_s", r.rate},
                         {"own_verdict_growth", r.own_verdict_growth}});
  j["tree"] = {{"state", state_name(v.tree.state)},
               {"series", tree_series},
               {"residence_series",
                v.tree.residence_series.empty() ? json(nullptr) : json(v.tree.residence_series)},
               {"residence", residence}};
  json phases = json::array();
  for (const auto& ph : v.phases) {
    json growth = json::array();
    for (const auto& g : ph.growth)
      growth.push_back({{"pid", g.pid == 0 ? json(nullptr) : json(g.pid)},
                        {"comm", g.comm},
                        {"series", g.series},
                        {"growth", g.growth},
                        {"rate_per_s", g.rate}});
    phases.push_back({{"label", ph.label},
                      {"intervals", ph.intervals},
                      {"duration_s", ph.duration_s},
                      {"cpu_pct", ph.cpu_pct},
                      {"growth", growth}});
  }
  j["phases"] = phases;
  json evidence = json::array();
  for (const auto& e : v.evidence) evidence.push_back({{"label", e.label}, {"text", e.text}});
  j["evidence"] = evidence;
  j["notes"] = v.notes;
  return j;
}

}  // namespace leakscope::analyze
