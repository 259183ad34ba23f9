// render_verdict_text: the human summary of `leakscope analyze`. The headline says what
// grows (or that nothing does); then one line per process and series that is not flat,
// the tree, residence, phases, and the labelled evidence sentences.
#include <fmt/format.h>

#include <cmath>

#include "analyze/evidence.h"
#include "analyze/verdict.h"
#include "base/strings.h"

namespace leakscope::analyze {
namespace {

std::string row(const std::string& who, const SeriesVerdict& sv) {
  const SeriesResult& r = sv.r;
  std::string rate = "-", ci = "-", win = "-", warm = "-";
  if (r.state != State::kSettling || r.bins > 0) {
    rate = format_rate(r, r.rate);
    ci = format_rate(r, r.ci_lo) + " .. " + format_rate(r, r.ci_hi);
    win = fmt::format("{:.1f}-{:.1f}", r.window_t0, r.window_t1);
  }
  if (!std::isnan(r.warmup_end)) warm = fmt::format("{:.1f}", r.warmup_end);
  return fmt::format("  {:<24} {:<8} {:<17} {:>16} {:>36} {:>15} {:>8}\n", who, r.name,
                     state_name(r.state), rate, ci, win, warm);
}

}  // namespace

std::string render_verdict_text(const Verdict& v) {
  std::string out = fmt::format("leakscope analyze {}: evaluated at {:.1f} s of {:.1f} s\n\n",
                                v.capture, v.evaluated_at_s, v.recording_end_s);
  // Headline.
  bool any = false;
  for (const auto& p : v.processes)
    for (const auto& sv : p.series)
      if (sv.r.state == State::kSustainedGrowth) {
        any = true;
        std::string cls;
        if (sv.r.kind == SeriesKind::kBytes) {
          cls = " [" + p.memory_class.growth_class +
                (p.memory_class.allocator_retention_suspected ? ", allocator retention suspected"
                                                              : "") +
                "]";
        }
        out += fmt::format("SUSTAINED GROWTH: pid {} ({}) {} {} (95% CI {} .. {}) on {:.1f}-{:.1f} s{}\n",
                           p.pid, p.comm, sv.r.name, format_rate(sv.r, sv.r.rate),
                           format_rate(sv.r, sv.r.ci_lo), format_rate(sv.r, sv.r.ci_hi),
                           sv.r.window_t0, sv.r.window_t1, cls);
      }
  if (!any && v.tree.state != State::kSustainedGrowth) {
    bool settling = v.tree.state == State::kSettling;
    for (const auto& p : v.processes) settling = settling || p.state == State::kSettling;
    out += settling ? "UNDECIDED: no sustained growth found yet, but some series are still "
                      "settling (see below)\n"
                    : "NO SUSTAINED GROWTH in any process or series\n";
  }
  out += fmt::format("\n  {:<24} {:<8} {:<17} {:>16} {:>36} {:>15} {:>8}\n", "process", "series",
                     "state", "rate", "95% CI", "window (s)", "warm-up");
  for (const auto& sv : v.tree.series)
    if (sv.r.state != State::kNoGrowth || sv.r.name == "pss") out += row("tree (PSS)", sv);
  for (const auto& p : v.processes) {
    std::string who = fmt::format("{} {}", p.pid, p.comm.substr(0, 16));
    bool shown = false;
    for (const auto& sv : p.series)
      if (sv.r.state != State::kNoGrowth) {
        out += row(who, sv);
        shown = true;
      }
    if (!shown) out += fmt::format("  {:<24} all series: no growth\n", who);
  }
  if (!v.tree.residence.empty()) {
    out += "\nresidence of the tree's growth:";
    for (const auto& r : v.tree.residence)
      out += fmt::format("  pid {} ({}) {:.0f}%", r.pid, r.comm, 100 * r.share);
    out += "\n";
  }
  if (!v.phases.empty()) {
    out += "\nphases:\n";
    for (const auto& ph : v.phases) {
      out += fmt::format("  {:<16} {:>3} interval(s) {:>9.1f} s  CPU {:>5.1f}%", ph.label,
                         ph.intervals, ph.duration_s, ph.cpu_pct);
      for (const auto& g : ph.growth)
        if (g.pid == 0 || std::fabs(g.rate) * 60 >= 64 * 1024)
          out += fmt::format("  {} {}", g.pid == 0 ? std::string("tree") : std::to_string(g.pid),
                             format_byte_rate_per_min(g.rate));
      out += "\n";
    }
  }
  out += "\nevidence:\n";
  for (const auto& e : v.evidence) out += fmt::format("  [{}] {}\n", e.label, e.text);
  return out;
}

}  // namespace leakscope::analyze
