// experiment.html: one self-contained page (inline CSS and SVG, no scripts, no external
// resources) with the conclusions, a chart of each variant's mean rate and 95% interval
// with its individual runs and its prediction, and the same tables as experiment.md.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analyze/rate_spec.h"
#include "report/experiment_report.h"
#include "report/html_report.h"

namespace leakscope::report {
namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

void html_table(const Table& t, std::string* o) {
  if (t.header.empty()) return;
  *o += "<table><tr>";
  for (const auto& h : t.header) *o += "<th>" + html_escape(h) + "</th>";
  *o += "</tr>\n";
  for (const auto& row : t.rows) {
    *o += "<tr>";
    for (const auto& c : row) *o += "<td>" + html_escape(c) + "</td>";
    *o += "</tr>\n";
  }
  *o += "</table>\n";
}

// Rows of the chart: the variant's runs as dots, its mean with the 95% interval as a bar,
// its prediction as a diamond; the control's baseline as a dashed line.
std::string chart(const ExperimentView& v) {
  const auto& a = v.result->analysis;
  const std::string& series = v.cfg->measure.series;
  double lo = 0, hi = 0;
  auto extend = [&](double x) {
    if (std::isfinite(x)) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  };
  for (const auto& r : a.variants) {
    extend(r.summary.ci_lo);
    extend(r.summary.ci_hi);
    if (const auto* spec = v.cfg->find(r.name)) {
      if (spec->predicted) extend(*spec->predicted);
      if (spec->baseline) extend(*spec->baseline);
    }
  }
  for (const auto& run : v.result->runs)
    if (run.used) extend(run.m.rate);
  // Round ticks in the unit the labels use (per minute; KiB, MiB, ... for bytes).
  double per_unit = 60;  // display units per (bytes or counts) per second
  if (analyze::unit_of_series(series) == analyze::RateUnit::kBytes) {
    double top_value = std::max(std::fabs(lo), std::fabs(hi)) * 60;
    while (top_value * per_unit / 60 >= 1024 && per_unit > 60.0 / (1024.0 * 1024 * 1024)) per_unit /= 1024;
  }
  double span = std::max(hi - lo, 1e-9) * per_unit;
  double raw = span / 4, mag = std::pow(10, std::floor(std::log10(raw))), step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  lo = std::floor(lo * per_unit / step) * step / per_unit;
  hi = std::ceil(hi * per_unit / step) * step / per_unit;
  if (hi <= lo) hi = lo + step / per_unit;
  const double left = 150, right = 660, row_h = 34, top = 20;
  double height = top + row_h * static_cast<double>(a.variants.size()) + 40;
  auto x = [&](double value) { return left + (value - lo) / (hi - lo) * (right - left); };
  std::string o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"" + num(height) +
                  "\" role=\"img\" aria-label=\"rate per variant\">\n";
  double axis_y = top + row_h * static_cast<double>(a.variants.size());
  for (double d = lo * per_unit; d <= hi * per_unit + step / 2; d += step) {
    double value = d / per_unit;
    o += "<line x1=\"" + num(x(value)) + "\" y1=\"" + num(top - 10) + "\" x2=\"" + num(x(value)) +
         "\" y2=\"" + num(axis_y) + "\" class=\"grid\"/>\n";
    o += "<text x=\"" + num(x(value)) + "\" y=\"" + num(axis_y + 16) + "\" class=\"tick\">" +
         html_escape(analyze::format_series_rate(std::fabs(value) < 1e-12 ? 0 : value, series)) + "</text>\n";
  }
  if (lo < 0)
    o += "<line x1=\"" + num(x(0)) + "\" y1=\"" + num(top - 10) + "\" x2=\"" + num(x(0)) +
         "\" y2=\"" + num(axis_y) + "\" class=\"zero\"/>\n";
  for (size_t i = 0; i < a.variants.size(); ++i) {
    const auto& r = a.variants[i];
    double y = top + row_h * (static_cast<double>(i) + 0.5);
    o += "<text x=\"" + num(left - 8) + "\" y=\"" + num(y + 4) + "\" class=\"label\">" + html_escape(r.name) +
         "</text>\n";
    const auto* spec = v.cfg->find(r.name);
    if (spec && spec->baseline)
      o += "<line x1=\"" + num(x(*spec->baseline)) + "\" y1=\"" + num(y - 12) + "\" x2=\"" +
           num(x(*spec->baseline)) + "\" y2=\"" + num(y + 12) + "\" class=\"baseline\"><title>baseline " +
           html_escape(analyze::format_series_rate(*spec->baseline, series)) + "</title></line>\n";
    if (r.summary.n > 0 && std::isfinite(r.summary.ci_lo) && std::isfinite(r.summary.ci_hi))
      o += "<line x1=\"" + num(x(r.summary.ci_lo)) + "\" y1=\"" + num(y) + "\" x2=\"" +
           num(x(r.summary.ci_hi)) + "\" y2=\"" + num(y) + "\" class=\"ci\"/>\n";
    for (const auto& run : v.result->runs)
      if (run.used && run.variant == r.name)
        o += "<circle cx=\"" + num(x(run.m.rate)) + "\" cy=\"" + num(y - 7) + "\" r=\"2.5\" class=\"run\"/>\n";
    if (r.summary.n > 0)
      o += "<circle cx=\"" + num(x(r.summary.mean)) + "\" cy=\"" + num(y) + "\" r=\"4.5\" class=\"mean\"><title>" +
           html_escape(rate_with_ci(r.summary.mean, r.summary.ci_lo, r.summary.ci_hi, series)) +
           "</title></circle>\n";
    if (spec && spec->predicted) {
      double px = x(*spec->predicted);
      o += "<path d=\"M" + num(px) + " " + num(y + 2) + " l5 6 l-5 6 l-5 -6 z\" class=\"pred\"><title>predicted " +
           html_escape(analyze::format_series_rate(*spec->predicted, series)) + "</title></path>\n";
    }
  }
  o += "</svg>\n<p class=\"legend\">dot: mean of the repeats with its 95% interval; small dots: "
       "single runs; diamond: prediction; dashed line: the control's baseline.</p>\n";
  return o;
}

}  // namespace

std::string render_experiment_html(const ExperimentView& v) {
  std::string title = "Experiment: " + (v.cfg->title.empty() ? v.cfg->path : v.cfg->title);
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
      "</title>\n<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}"
      "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
      "text-align:left;vertical-align:top}th{background:#f3f3f3}.refused{background:#fde2e2;padding:.6em;"
      "border-left:4px solid #c33}.grid{stroke:#e4e4e4}.zero{stroke:#888}.tick{font-size:11px;"
      "text-anchor:middle;fill:#555}.label{font-size:13px;text-anchor:end}.ci{stroke:#1f5fa8;"
      "stroke-width:3}.mean{fill:#1f5fa8}.run{fill:#999}.pred{fill:#e08a00}.baseline{stroke:#c33;"
      "stroke-dasharray:3 2;stroke-width:2}.legend{color:#555;font-size:12px}</style></head><body>\n";
  o += "<h1>" + html_escape(title) + "</h1>\n<ul>";
  for (const auto& f : experiment_facts(v)) o += "<li>" + html_escape(f) + "</li>";
  o += "</ul>\n<h2>Conclusion</h2>\n";
  o += v.result->analysis.refused ? "<ul class=\"refused\">" : "<ul>";
  for (const auto& line : conclusion_lines(v)) o += "<li>" + html_escape(line) + "</li>";
  o += "</ul>\n";
  o += chart(v);
  std::vector<Section> sections = {variant_section(v)};
  for (auto& c : combination_sections(v)) sections.push_back(c);
  sections.push_back(runs_section(v));
  for (const auto& s : sections) {
    o += "<h2>" + html_escape(s.title) + "</h2>\n";
    for (const auto& p : s.paragraphs) o += "<p>" + html_escape(p) + "</p>\n";
    html_table(s.table, &o);
  }
  o += "<h2>Method</h2>\n<p>" + html_escape(kExperimentMethod) + "</p>\n</body></html>\n";
  return o;
}

}  // namespace leakscope::report
