// The statistics of a fix experiment: from each run's measured rate (with the verdict
// engine's within-run 95% interval) to per-variant summaries, changes against the
// control, prediction checks, isolated/combined effects of a multi-part fix with their
// interaction, and the refusals. Pure functions of the numbers, so they are unit-tested
// without running anything (docs/experiment.md gives the reasons for each rule).
//
// Effects are linear contrasts of variant means (change = V - C; interaction =
// (C - V_all) - sum_k (C - V_k)), so they are computed on means, whose variances add; the
// median is reported next to them as the robust summary of the repeats. A variant mean's
// standard error is the between-repeat one, floored by the runs' own within-run errors,
// and intervals of contrasts use Welch–Satterthwaite degrees of freedom.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace leakscope::analyze {

// One run's measurement of the selected series (per second) and its 95% interval.
struct RunRate {
  double rate = 0;
  double ci_lo = 0, ci_hi = 0;
};

struct VariantSummary {
  size_t n = 0;
  double median = NAN, mean = NAN, min = NAN, max = NAN;
  double sd = NAN;      // between repeats (n >= 2)
  double spread = NAN;  // max - min; with one repeat, the width of its 95% interval
  double se = NAN;      // standard error of the mean
  double df = INFINITY; // degrees of freedom of `se` (infinite: the within-run floor applied)
  bool within_floor = false;  // `se` came from the within-run intervals
  double ci_lo = NAN, ci_hi = NAN;  // 95% interval of the mean
};

VariantSummary summarize_runs(const std::vector<RunRate>& runs, double confidence = 0.95);

// Two-sided Student t quantile: the t with P(|T| > t) = 1 - confidence (df may be
// fractional; infinite df gives the normal quantile).
double t_quantile(double confidence, double df);

// sum_i weight_i * mean_i over independent variant means, with its interval.
struct Contrast {
  double estimate = NAN;
  double se = NAN;
  double df = INFINITY;
  double ci_lo = NAN, ci_hi = NAN;
  bool significant = false;  // the interval excludes 0
};
struct ContrastTerm {
  double weight = 0;
  const VariantSummary* summary = nullptr;
};
Contrast linear_contrast(const std::vector<ContrastTerm>& terms, double confidence = 0.95);

enum class PredictionClass { kMatches, kRoughly, kModelWrong };
const char* prediction_class_label(PredictionClass c);  // "matches (within 10%)", ...

struct PredictionCheck {
  PredictionClass cls = PredictionClass::kModelWrong;
  double rel_error = NAN;   // |measured - predicted| / scale
  bool inside_ci = false;   // the prediction lies in the variant's 95% interval
  bool relative_to_control = false;  // a zero prediction is judged against the control
};
// Relative error against the prediction; a prediction of (near) zero is judged relative
// to the control's rate instead (|measured| / |control|), the scale of the problem.
PredictionCheck check_prediction(double predicted, const VariantSummary& measured,
                                 double control_mean);

// Everything the analysis needs about one variant.
struct VariantInput {
  std::string name;
  bool control = false;
  std::optional<double> predicted;     // per second
  std::vector<std::string> components; // names of the variants this one combines
  std::vector<RunRate> runs;           // the measurable runs
};

struct ExperimentInput {
  std::vector<VariantInput> variants;
  std::optional<double> baseline;  // the rate the control must reproduce, per second
  double confidence = 0.95;
};

struct VariantResult {
  std::string name;
  bool control = false;
  VariantSummary summary;
  Contrast change;                 // mean - control mean
  double change_pct = NAN;         // change / |control mean| * 100
  std::optional<PredictionCheck> prediction;
  std::string refusal;             // non-empty: no conclusion for this variant, and why
};

struct ComponentEffect {
  std::string name;
  Contrast effect;  // control mean - component mean (positive: the fix removes growth)
};

struct CombinationResult {
  std::string name;                       // the combined variant
  std::vector<ComponentEffect> isolated;  // one per component
  Contrast combined;                      // control - combined
  double sum_isolated = NAN;
  Contrast interaction;                   // combined - sum of isolated
  std::string interaction_text;           // one sentence
  std::string refusal;
};

struct ExperimentAnalysis {
  std::vector<VariantResult> variants;  // in the order given, the control included
  std::vector<CombinationResult> combinations;
  bool refused = false;        // no conclusions at all
  std::string refusal;         // why, one sentence
  std::string baseline_text;   // how the control compared with the baseline
};

// Relative tolerance within which the control must reproduce the baseline.
inline constexpr double kBaselineTolerance = 0.10;

// `series` names the measured series, for the units of the rates in the sentences.
ExperimentAnalysis analyze_experiment(const ExperimentInput& in, const std::string& series);

}  // namespace leakscope::analyze
