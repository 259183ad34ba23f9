// Statistics of a fix experiment; see experiment_stats.h and docs/experiment.md.
#include "analyze/experiment_stats.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "analyze/rate_spec.h"
#include "analyze/stats_basic.h"

namespace leakscope::analyze {
namespace {

std::string pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * fraction);
  return buf;
}

void finish_contrast(Contrast* c, double var, double df_denominator, double confidence) {
  c->se = std::sqrt(std::max(0.0, var));
  c->df = df_denominator > 0 ? var * var / df_denominator : INFINITY;
  double t = t_quantile(confidence, c->df);
  c->ci_lo = c->estimate - t * c->se;
  c->ci_hi = c->estimate + t * c->se;
  c->significant = c->ci_lo > 0 || c->ci_hi < 0;
}

}  // namespace

double t_quantile(double confidence, double df) {
  double alpha = 1.0 - confidence;
  if (!(alpha > 0 && alpha < 1)) return NAN;
  if (!std::isfinite(df) || df > 1e7) return normal_quantile(1.0 - alpha / 2);
  df = std::max(df, 1.0);
  // P(|T| > t) = P(F(1, df) > t^2); it falls monotonically in t, so bisect.
  double lo = 0, hi = 16;
  while (f_sf(hi * hi, 1, df) > alpha && hi < 1e6) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    double mid = 0.5 * (lo + hi);
    if (f_sf(mid * mid, 1, df) > alpha) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

VariantSummary summarize_runs(const std::vector<RunRate>& runs, double confidence) {
  VariantSummary s;
  s.n = runs.size();
  if (runs.empty()) return s;
  std::vector<double> rates;
  double within_var = 0;
  double z = normal_quantile(0.975);  // the runs' intervals are 95% ones
  for (const auto& r : runs) {
    rates.push_back(r.rate);
    double se = (std::isfinite(r.ci_lo) && std::isfinite(r.ci_hi) && r.ci_hi >= r.ci_lo)
                    ? (r.ci_hi - r.ci_lo) / (2 * z)
                    : 0;
    within_var += se * se;
  }
  within_var /= static_cast<double>(runs.size());
  s.median = median(rates);
  s.min = *std::min_element(rates.begin(), rates.end());
  s.max = *std::max_element(rates.begin(), rates.end());
  double sum = 0;
  for (double r : rates) sum += r;
  s.mean = sum / static_cast<double>(s.n);
  double n = static_cast<double>(s.n);
  if (s.n >= 2) {
    double ss = 0;
    for (double r : rates) ss += (r - s.mean) * (r - s.mean);
    s.sd = std::sqrt(ss / (n - 1));
    s.spread = s.max - s.min;
    // A few repeats can agree by chance more closely than any single run can be measured:
    // the within-run error is a floor on how uncertain one run's rate is.
    if (s.sd * s.sd >= within_var) {
      s.se = s.sd / std::sqrt(n);
      s.df = n - 1;
    } else {
      s.se = std::sqrt(within_var / n);
      s.df = INFINITY;
      s.within_floor = true;
    }
  } else {
    s.spread = runs[0].ci_hi - runs[0].ci_lo;
    s.se = std::sqrt(within_var);
    s.df = INFINITY;
    s.within_floor = true;
  }
  double t = t_quantile(confidence, s.df);
  s.ci_lo = s.mean - t * s.se;
  s.ci_hi = s.mean + t * s.se;
  return s;
}

Contrast linear_contrast(const std::vector<ContrastTerm>& terms, double confidence) {
  // Terms of the same variant are one mean: add their weights before the variances.
  std::map<const VariantSummary*, double> weights;
  for (const auto& t : terms) weights[t.summary] += t.weight;
  Contrast c;
  c.estimate = 0;
  double var = 0, df_den = 0;
  for (const auto& [s, w] : weights) {
    if (w == 0) continue;
    c.estimate += w * s->mean;
    double v = w * w * s->se * s->se;
    var += v;
    if (std::isfinite(s->df) && s->df > 0) df_den += v * v / s->df;
  }
  finish_contrast(&c, var, df_den, confidence);
  return c;
}

const char* prediction_class_label(PredictionClass c) {
  switch (c) {
    case PredictionClass::kMatches: return "matches (within 10%)";
    case PredictionClass::kRoughly: return "roughly (within 50%)";
    case PredictionClass::kModelWrong: return "model wrong (off by more)";
  }
  return "";
}

PredictionCheck check_prediction(double predicted, const VariantSummary& measured,
                                 double control_mean) {
  PredictionCheck p;
  double scale = std::fabs(predicted);
  // "It stops leaking" predicts 0: judge the leftover against the size of the problem.
  if (scale < 0.05 * std::fabs(control_mean)) {
    scale = std::fabs(control_mean);
    p.relative_to_control = true;
  }
  double err = std::fabs(measured.mean - predicted);
  p.rel_error = scale > 0 ? err / scale : (err == 0 ? 0 : INFINITY);
  if (p.rel_error <= 0.10) p.cls = PredictionClass::kMatches;
  else if (p.rel_error <= 0.50) p.cls = PredictionClass::kRoughly;
  else p.cls = PredictionClass::kModelWrong;
  p.inside_ci = predicted >= measured.ci_lo && predicted <= measured.ci_hi;
  return p;
}

ExperimentAnalysis analyze_experiment(const ExperimentInput& in, const std::string& series) {
  ExperimentAnalysis a;
  std::map<std::string, size_t> index;
  const VariantInput* control_in = nullptr;
  for (const auto& v : in.variants) {
    VariantResult r;
    r.name = v.name;
    r.control = v.control;
    r.summary = summarize_runs(v.runs, in.confidence);
    index[v.name] = a.variants.size();
    a.variants.push_back(r);
    if (v.control && !control_in) control_in = &v;
  }
  if (!control_in) {
    a.refused = true;
    a.refusal = "there is no control variant to compare with";
    return a;
  }
  const VariantSummary& c = a.variants[index[control_in->name]].summary;
  if (c.n == 0) {
    a.refused = true;
    a.refusal = "the control has no measurable run, so nothing can be compared with it";
    return a;
  }
  if (in.baseline) {
    double b = *in.baseline;
    double off = b != 0 ? std::fabs(c.mean - b) / std::fabs(b) : INFINITY;
    std::string facts = "the control measured " + format_series_amount(c.mean, series) +
                        " against the baseline " + format_series_amount(b, series) + " (off by " +
                        pct(off) + ")";
    if (off > kBaselineTolerance) {
      a.refused = true;
      a.refusal = facts + ", more than 10%: the experiment does not reproduce the problem "
                          "it is meant to fix, so no effect measured in it can be trusted";
    }
    a.baseline_text = facts + (off > kBaselineTolerance ? "" : ", within 10%");
  }

  for (size_t i = 0; i < in.variants.size(); ++i) {
    const VariantInput& vin = in.variants[i];
    VariantResult& r = a.variants[i];
    if (vin.control) continue;
    if (r.summary.n == 0) {
      r.refusal = "it has no measurable run";
      continue;
    }
    r.change = linear_contrast({{1, &r.summary}, {-1, &c}}, in.confidence);
    if (c.mean != 0) r.change_pct = 100.0 * r.change.estimate / std::fabs(c.mean);
    if (vin.predicted) r.prediction = check_prediction(*vin.predicted, r.summary, c.mean);
    double noise = std::max(c.spread, r.summary.spread);
    double effect = std::fabs(r.change.estimate);
    if (noise > effect)
      r.refusal = "the spread between repeats (" + format_series_amount(noise, series) +
                  ") is larger than the effect (" + format_series_amount(effect, series) +
                  "), so the difference may be noise; run more repeats or longer runs";
  }

  for (size_t i = 0; i < in.variants.size(); ++i) {
    const VariantInput& vin = in.variants[i];
    if (vin.components.empty()) continue;
    CombinationResult cr;
    cr.name = vin.name;
    const VariantSummary& all = a.variants[i].summary;
    std::vector<ContrastTerm> inter;
    bool missing = all.n == 0;
    std::string missing_name = vin.name;
    for (const auto& comp : vin.components) {
      auto it = index.find(comp);
      if (it == index.end()) continue;  // the config validates the names
      const VariantSummary& s = a.variants[it->second].summary;
      if (s.n == 0 && !missing) {
        missing = true;
        missing_name = comp;
      }
      ComponentEffect e;
      e.name = comp;
      if (s.n > 0) e.effect = linear_contrast({{1, &c}, {-1, &s}}, in.confidence);
      cr.isolated.push_back(e);
      inter.push_back({1, &s});
    }
    if (missing) {
      cr.refusal = "variant " + missing_name + " has no measurable run";
      a.combinations.push_back(cr);
      continue;
    }
    cr.combined = linear_contrast({{1, &c}, {-1, &all}}, in.confidence);
    cr.sum_isolated = 0;
    for (const auto& e : cr.isolated) cr.sum_isolated += e.effect.estimate;
    double k = static_cast<double>(cr.isolated.size());
    inter.push_back({1 - k, &c});
    inter.push_back({-1, &all});
    cr.interaction = linear_contrast(inter, in.confidence);
    double noise = std::max(c.spread, all.spread);
    for (const auto& comp : vin.components)
      noise = std::max(noise, a.variants[index[comp]].summary.spread);
    std::string both = "the combined effect " + format_series_amount(cr.combined.estimate, series) +
                       " vs the sum of the isolated effects " +
                       format_series_amount(cr.sum_isolated, series);
    double x = cr.interaction.estimate;
    if (!cr.interaction.significant || noise > std::fabs(x)) {
      cr.interaction_text = "no detectable interaction: " + both + " agree within the noise";
    } else if (x < 0) {
      cr.interaction_text = "the parts overlap: together they remove " +
                            format_series_amount(-x, series) +
                            " less than the sum of their isolated effects (" + both + ")";
    } else {
      cr.interaction_text = "the parts reinforce each other: together they remove " +
                            format_series_amount(x, series) +
                            " more than the sum of their isolated effects (" + both + ")";
    }
    a.combinations.push_back(cr);
  }
  return a;
}

}  // namespace leakscope::analyze
