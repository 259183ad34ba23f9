// experiment.json: every number of the experiment, rates in units per second (bytes or
// counts), for scripts and tests; see experiment_report.h.
#include <cmath>

#include "report/experiment_report.h"

namespace leakscope::report {
namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json contrast(const analyze::Contrast& c) {
  return {{"estimate", number(c.estimate)}, {"ci_lo", number(c.ci_lo)}, {"ci_hi", number(c.ci_hi)},
          {"se", number(c.se)}, {"df", number(c.df)}, {"significant", c.significant}};
}

}  // namespace

json experiment_to_json(const ExperimentView& v) {
  const auto& cfg = *v.cfg;
  const auto& res = *v.result;
  const auto& a = res.analysis;
  json variants = json::array();
  for (const auto& r : a.variants) {
    const auto& s = r.summary;
    json j = {{"name", r.name},
              {"control", r.control},
              {"runs", s.n},
              {"median", number(s.median)},
              {"mean", number(s.mean)},
              {"min", number(s.min)},
              {"max", number(s.max)},
              {"sd", number(s.sd)},
              {"spread", number(s.spread)},
              {"ci_lo", number(s.ci_lo)},
              {"ci_hi", number(s.ci_hi)},
              {"refusal", r.refusal},
              {"conclusion", variant_conclusion(r, a.refused)}};
    if (!r.control) {
      j["change"] = contrast(r.change);
      j["change_pct"] = number(r.change_pct);
    }
    const analyze::VariantSpec* spec = cfg.find(r.name);
    if (spec && spec->predicted && r.prediction)
      j["prediction"] = {{"predicted", *spec->predicted},
                         {"class", analyze::prediction_class_label(r.prediction->cls)},
                         {"rel_error", number(r.prediction->rel_error)},
                         {"relative_to_control", r.prediction->relative_to_control},
                         {"inside_ci", r.prediction->inside_ci}};
    variants.push_back(j);
  }
  json combos = json::array();
  for (const auto& c : a.combinations) {
    json iso = json::array();
    for (const auto& e : c.isolated) iso.push_back({{"name", e.name}, {"effect", contrast(e.effect)}});
    combos.push_back({{"name", c.name},
                      {"isolated", iso},
                      {"combined", contrast(c.combined)},
                      {"sum_isolated", number(c.sum_isolated)},
                      {"interaction", contrast(c.interaction)},
                      {"interaction_text", c.interaction_text},
                      {"refusal", c.refusal}});
  }
  json runs = json::array();
  for (const auto& r : res.runs)
    runs.push_back({{"variant", r.variant},
                    {"repeat", r.repeat},
                    {"capture", r.capture},
                    {"used", r.used},
                    {"note", r.note},
                    {"measured", r.m.measured},
                    {"process", r.m.process},
                    {"state", r.m.measured ? analyze::state_name(r.m.state) : ""},
                    {"rate", number(r.m.rate)},
                    {"ci_lo", number(r.m.ci_lo)},
                    {"ci_hi", number(r.m.ci_hi)},
                    {"recorded_s", r.m.recorded_s}});
  return {{"format", "leakscope-experiment"},
          {"version", 1},
          {"experiment", cfg.path},
          {"title", cfg.title},
          {"series", cfg.measure.series},
          {"measured", measured_what(cfg)},
          {"unit", cfg.measure.series == "fds" || cfg.measure.series == "threads" ? "count/s" : "bytes/s"},
          {"repeats", cfg.repeats},
          {"scheduled_runs", res.scheduled},
          {"complete", res.runs.size() == res.scheduled},
          {"refused", a.refused},
          {"refusal", a.refusal},
          {"baseline", a.baseline_text},
          {"variants", variants},
          {"combinations", combos},
          {"runs", runs}};
}

}  // namespace leakscope::report
