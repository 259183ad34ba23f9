// Scoring; see scoring.h.
#include "bench/accuracy/scoring.h"

#include <fmt/format.h>

#include <algorithm>

#include "analyze/stats_basic.h"

namespace leakscope::bench {
namespace {

struct Line {
  int runs = 0, flagged = 0, state_ok = 0, errors = 0, covered = 0;
  std::vector<double> rel, ttc;
};

Line summarize(const std::vector<RunScore>& runs) {
  Line l;
  for (const auto& r : runs) {
    ++l.runs;
    l.flagged += r.flagged;
    l.state_ok += r.state_ok;
    if (r.rel_error >= 0) {
      l.rel.push_back(r.rel_error);
      l.covered += r.covered;
    }
    if (r.time_to_correct_s >= 0) l.ttc.push_back(r.time_to_correct_s);
  }
  return l;
}

std::string pct(double num, double den) {
  return den > 0 ? fmt::format("{:.1f}%", 100 * num / den) : "-";
}

const char* truth_name(Truth t) {
  return t == Truth::kLeak ? "leak" : (t == Truth::kStopped ? "stopped" : "no-leak");
}

}  // namespace

Totals totals(const std::vector<ShapeScore>& shapes) {
  Totals t;
  std::vector<double> rel, ttc;
  int covered = 0;
  for (const auto& s : shapes)
    for (const auto& r : s.runs) {
      if (r.truth == Truth::kLeak) {
        ++t.leak_runs;
        t.detected += r.flagged;
        if (r.rel_error >= 0) {
          rel.push_back(r.rel_error);
          covered += r.covered;
        }
      } else {
        ++t.no_leak_runs;
        t.false_positives += r.flagged;
      }
      if (r.time_to_correct_s >= 0) ttc.push_back(r.time_to_correct_s);
    }
  t.median_rel_error = rel.empty() ? 0 : analyze::median(rel);
  t.coverage = rel.empty() ? 0 : static_cast<double>(covered) / static_cast<double>(rel.size());
  t.median_time_to_correct_s = ttc.empty() ? -1 : analyze::median(ttc);
  return t;
}

std::string format_scores(const std::vector<ShapeScore>& shapes, const std::string& title) {
  std::string out = fmt::format("{}\n{:<18} {:>7} {:>5} {:>9} {:>8} {:>9} {:>9} {:>9} {:>12}\n",
                                title, "shape", "truth", "runs", "flagged", "state-ok",
                                "med.err", "CI-cover", "ttc-med", "ttc-never");
  for (const auto& s : shapes) {
    Line l = summarize(s.runs);
    std::string err = l.rel.empty() ? "-" : fmt::format("{:.1f}%", 100 * analyze::median(l.rel));
    std::string ttc = l.ttc.empty() ? "-" : fmt::format("{:.2f} h", analyze::median(l.ttc) / 3600);
    out += fmt::format("{:<18} {:>7} {:>5} {:>9} {:>8} {:>9} {:>9} {:>9} {:>12}\n", s.shape,
                       truth_name(s.truth), l.runs, pct(l.flagged, l.runs),
                       pct(l.state_ok, l.runs), err,
                       pct(l.covered, static_cast<double>(l.rel.size())), ttc,
                       pct(l.runs - static_cast<int>(l.ttc.size()), l.runs));
  }
  Totals t = totals(shapes);
  out += fmt::format(
      "overall: false positives {}/{} = {}, recall {}/{} = {}, median rate error {:.1f}%, CI "
      "coverage {:.1f}%, median time to a correct verdict {}\n",
      t.false_positives, t.no_leak_runs, pct(t.false_positives, t.no_leak_runs), t.detected,
      t.leak_runs, pct(t.detected, t.leak_runs), 100 * t.median_rel_error, 100 * t.coverage,
      t.median_time_to_correct_s < 0 ? std::string("-")
                                     : fmt::format("{:.2f} h", t.median_time_to_correct_s / 3600));
  return out;
}

std::string check_targets(const Totals& t, const Targets& targets) {
  std::string out;
  double fp = t.no_leak_runs ? static_cast<double>(t.false_positives) / t.no_leak_runs : 0;
  double recall = t.leak_runs ? static_cast<double>(t.detected) / t.leak_runs : 1;
  if (fp > targets.max_fp)
    out += fmt::format("false-positive rate {:.2f}% > {:.2f}%\n", 100 * fp, 100 * targets.max_fp);
  if (recall < targets.min_recall)
    out += fmt::format("recall {:.2f}% < {:.2f}%\n", 100 * recall, 100 * targets.min_recall);
  if (t.median_rel_error > targets.max_median_error)
    out += fmt::format("median rate error {:.1f}% > {:.1f}%\n", 100 * t.median_rel_error,
                       100 * targets.max_median_error);
  if (t.coverage < targets.min_coverage)
    out += fmt::format("CI coverage {:.1f}% < {:.1f}%\n", 100 * t.coverage,
                       100 * targets.min_coverage);
  return out;
}

}  // namespace leakscope::bench
