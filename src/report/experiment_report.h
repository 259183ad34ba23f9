// The outputs of `leakscope experiment`: experiment.md (for a pull request or an issue),
// a self-contained experiment.html (the same tables and an inline SVG chart of each
// variant's rate with its interval, runs and prediction; no external resources) and
// experiment.json (every number, for scripts and tests). All three say the same thing:
// the conclusions, or that there are none and why.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyze/experiment_config.h"
#include "analyze/experiment_runner.h"

namespace leakscope::report {

struct ExperimentView {
  const analyze::ExperimentConfig* cfg = nullptr;
  const analyze::ExperimentResult* result = nullptr;
};

std::string render_experiment_markdown(const ExperimentView& v);
std::string render_experiment_html(const ExperimentView& v);
nlohmann::json experiment_to_json(const ExperimentView& v);

// The content both documents show, as plain cells (Markdown and HTML escape them).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
struct Section {
  std::string title;
  std::vector<std::string> paragraphs;  // before the table
  Table table;
};
// Facts of the experiment: file, workload, what was measured, how many runs.
std::vector<std::string> experiment_facts(const ExperimentView& v);
// The conclusion: the refusal, or one line per variant and combination.
std::vector<std::string> conclusion_lines(const ExperimentView& v);
// Rates per variant; one section per combined fix; every run.
Section variant_section(const ExperimentView& v);
std::vector<Section> combination_sections(const ExperimentView& v);
Section runs_section(const ExperimentView& v);
extern const char* const kExperimentMethod;

// "+270 MiB/min [+268, +272]" in the measured series' unit.
std::string rate_with_ci(double rate, double lo, double hi, const std::string& series);
// What was measured and how ("series anon of the root process; rate in ...").
std::string measured_what(const analyze::ExperimentConfig& cfg);
// The conclusion cell of a variant: "less growth than the control (-67%, significant)".
std::string variant_conclusion(const analyze::VariantResult& r, bool refused);

}  // namespace leakscope::report
