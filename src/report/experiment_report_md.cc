// The content of the experiment documents (facts, conclusions, tables) and experiment.md;
// see experiment_report.h. The HTML renderer shows the same sections.
#include <cctype>
#include <cmath>
#include <cstdio>

#include "analyze/rate_spec.h"
#include "base/strings.h"
#include "report/experiment_report.h"

namespace leakscope::report {
namespace {

using analyze::format_series_rate;

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.1f%%", v);
  return buf;
}

std::string prediction_cell(const analyze::VariantResult& r, const analyze::VariantSpec* spec,
                            const std::string& series, bool refused) {
  if (!spec || !spec->predicted) return r.control ? "(control)" : "-";
  std::string s = format_series_rate(*spec->predicted, series);
  if (!r.prediction) return s;
  if (refused || !r.refusal.empty()) return s + ": no conclusion";
  char err[32];
  std::snprintf(err, sizeof(err), "%.0f%%", 100 * r.prediction->rel_error);
  return s + ": " + analyze::prediction_class_label(r.prediction->cls) + ", off by " + err +
         (r.prediction->relative_to_control ? " of the control" : "") +
         (r.prediction->inside_ci ? ", inside the 95% CI" : "");
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

void md_table(const Table& t, std::string* o) {
  if (t.header.empty()) return;
  *o += "|";
  for (const auto& h : t.header) *o += " " + md_cell(h) + " |";
  *o += "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) *o += "---|";
  *o += "\n";
  for (const auto& row : t.rows) {
    *o += "|";
    for (const auto& c : row) *o += " " + md_cell(c) + " |";
    *o += "\n";
  }
  *o += "\n";
}

}  // namespace

const char* const kExperimentMethod =
    "Variants ran interleaved (control, then each variant, then the next repeat) so drift over "
    "time affects all alike. Each run's rate and 95% interval come from the verdict engine "
    "(Theil-Sen on the final regime, Hamed-Rao corrected). A variant's interval is for the mean "
    "of its repeats (a t interval from the spread between repeats, never narrower than the runs' "
    "own intervals allow); changes, effects and the interaction are differences of means with "
    "Welch-Satterthwaite intervals, and a change is significant when its interval excludes 0. "
    "Conclusions are refused when the control misses the baseline by more than 10% or when the "
    "spread between repeats exceeds the effect. See docs/experiment.md.";

std::string rate_with_ci(double rate, double lo, double hi, const std::string& series) {
  if (!std::isfinite(rate)) return "-";
  std::string s = format_series_rate(rate, series);
  if (std::isfinite(lo) && std::isfinite(hi))
    s += " [" + format_series_rate(lo, series) + ", " + format_series_rate(hi, series) + "]";
  return s;
}

std::string measured_what(const analyze::ExperimentConfig& cfg) {
  const auto& m = cfg.measure;
  std::string who = m.role == analyze::ProcessRole::kName      ? "the process '" + m.name + "'"
                    : m.role == analyze::ProcessRole::kRoot    ? "the root process"
                    : m.role == analyze::ProcessRole::kLargest ? "the fastest-growing process"
                    : m.role == analyze::ProcessRole::kTree    ? "the whole tree (PSS)"
                    : "child " + std::to_string(m.child_index) + " of the root";
  std::string how = m.phases.empty() ? "rate in the verdict engine's sustained window"
                                     : "growth per second during the phases";
  for (size_t i = 0; i < m.phases.size(); ++i) how += (i ? ", " : " ") + m.phases[i];
  if (m.warmup_s > 0) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), ", ignoring the first %.1f s", m.warmup_s);
    how += buf;
  }
  return "series " + m.series + " of " + who + "; " + how;
}

std::string variant_conclusion(const analyze::VariantResult& r, bool refused) {
  if (r.control) return "control";
  if (refused) return "no conclusion (see above)";
  if (!r.refusal.empty()) return "no conclusion: " + r.refusal;
  if (!r.change.significant) return "no significant change (the 95% CI of the change includes 0)";
  std::string dir = r.change.estimate < 0 ? "less growth" : "more growth";
  return dir + " than the control (" + pct(r.change_pct) + ", significant)";
}

std::vector<std::string> experiment_facts(const ExperimentView& v) {
  const auto& cfg = *v.cfg;
  std::string workload = "Workload: " + shell_join(cfg.workload.command);
  if (cfg.workload.duration_s > 0) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), ", %.1f s per run", cfg.workload.duration_s);
    workload += buf;
  }
  return {"Experiment file: " + cfg.path, workload, "Measured: " + measured_what(cfg),
          "Runs: " + std::to_string(v.result->runs.size()) + " of " +
              std::to_string(v.result->scheduled) + " (" + std::to_string(cfg.variants.size()) +
              " variants x " + std::to_string(cfg.repeats) + " repeats, interleaved)"};
}

std::vector<std::string> conclusion_lines(const ExperimentView& v) {
  const auto& a = v.result->analysis;
  std::vector<std::string> out;
  if (a.refused) out.push_back("NO CONCLUSIONS: " + a.refusal + ".");
  else if (!a.baseline_text.empty()) out.push_back("Baseline: " + a.baseline_text + ".");
  if (!a.refused) {
    for (const auto& r : a.variants) {
      if (r.control) continue;
      std::string line = r.name + ": " + variant_conclusion(r, false);
      if (r.refusal.empty() && r.prediction)
        line += "; prediction " + std::string(analyze::prediction_class_label(r.prediction->cls));
      out.push_back(line + ".");
    }
    for (const auto& c : a.combinations)
      out.push_back(c.name + " (combined): " +
                    (c.refusal.empty() ? c.interaction_text : "no conclusion: " + c.refusal) + ".");
  }
  if (v.result->runs.size() < v.result->scheduled)
    out.push_back("The experiment is incomplete: continue it with `leakscope experiment " +
                  v.cfg->path + " --resume`.");
  return out;
}

Section variant_section(const ExperimentView& v) {
  const auto& a = v.result->analysis;
  const std::string& series = v.cfg->measure.series;
  Section s;
  s.title = "Rates per variant";
  s.table.header = {"variant", "runs", "median", "spread (max - min)", "mean [95% CI]",
                    "change vs control [95% CI]", "prediction", "conclusion"};
  for (const auto& r : a.variants) {
    const auto& sum = r.summary;
    std::string change = "-";
    if (!r.control && std::isfinite(r.change.estimate))
      change = rate_with_ci(r.change.estimate, r.change.ci_lo, r.change.ci_hi, series) +
               (std::isfinite(r.change_pct) ? " (" + pct(r.change_pct) + ")" : "");
    std::string spread = std::isfinite(sum.spread) ? analyze::format_series_amount(sum.spread, series) : "-";
    if (sum.n == 1) spread += " (one run: its CI width)";
    s.table.rows.push_back({r.name, std::to_string(sum.n),
                            sum.n ? format_series_rate(sum.median, series) : "-", spread,
                            rate_with_ci(sum.mean, sum.ci_lo, sum.ci_hi, series), change,
                            prediction_cell(r, v.cfg->find(r.name), series, a.refused),
                            variant_conclusion(r, a.refused)});
  }
  return s;
}

std::vector<Section> combination_sections(const ExperimentView& v) {
  const auto& a = v.result->analysis;
  const std::string& series = v.cfg->measure.series;
  std::vector<Section> out;
  for (const auto& c : a.combinations) {
    Section s;
    s.title = "Combined fix " + c.name;
    if (!c.refusal.empty()) {
      s.paragraphs.push_back("No conclusion: " + c.refusal + ".");
      out.push_back(s);
      continue;
    }
    std::string text = c.interaction_text;
    if (!a.refused && !text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    s.paragraphs.push_back((a.refused ? "No conclusion (see above); measured: " : "") + text + ".");
    s.table.header = {"part", "growth removed vs the control [95% CI]"};
    for (const auto& e : c.isolated)
      s.table.rows.push_back({e.name + " alone", rate_with_ci(e.effect.estimate, e.effect.ci_lo,
                                                              e.effect.ci_hi, series)});
    s.table.rows.push_back({"sum of the parts alone", format_series_rate(c.sum_isolated, series)});
    s.table.rows.push_back({c.name + " (all parts)", rate_with_ci(c.combined.estimate, c.combined.ci_lo,
                                                                  c.combined.ci_hi, series)});
    s.table.rows.push_back({"interaction (combined - sum)",
                            rate_with_ci(c.interaction.estimate, c.interaction.ci_lo,
                                         c.interaction.ci_hi, series)});
    out.push_back(s);
  }
  return out;
}

Section runs_section(const ExperimentView& v) {
  const std::string& series = v.cfg->measure.series;
  Section s;
  s.title = "Runs";
  s.table.header = {"variant", "repeat", "rate [95% CI]", "state", "process", "capture", "note"};
  for (const auto& r : v.result->runs)
    s.table.rows.push_back({r.variant, std::to_string(r.repeat),
                            r.m.measured ? rate_with_ci(r.m.rate, r.m.ci_lo, r.m.ci_hi, series) : "-",
                            r.m.measured ? analyze::state_name(r.m.state) : "-", r.m.process,
                            r.capture, r.used ? r.note : "not used: " + r.note});
  return s;
}

std::string render_experiment_markdown(const ExperimentView& v) {
  std::string o = "# Experiment: " + (v.cfg->title.empty() ? v.cfg->path : v.cfg->title) + "\n\n";
  for (const auto& f : experiment_facts(v)) o += "- " + f + "\n";
  o += "\n## Conclusion\n\n";
  for (const auto& line : conclusion_lines(v)) o += "- " + line + "\n";
  o += "\n";
  std::vector<Section> sections = {variant_section(v)};
  for (auto& c : combination_sections(v)) sections.push_back(c);
  sections.push_back(runs_section(v));
  for (const auto& s : sections) {
    o += "## " + s.title + "\n\n";
    for (const auto& p : s.paragraphs) o += p + "\n\n";
    md_table(s.table, &o);
  }
  o += "## Method\n\n" + std::string(kExperimentMethod) + "\n";
  return o;
}

}  // namespace leakscope::report
