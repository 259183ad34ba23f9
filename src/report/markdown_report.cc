// The Markdown report, for pasting into an issue or a pull request: the summary, the
// evidence table, the per-process table, phases, the top heap sites with their stacks in a
// collapsible <details> block, what the capture cannot show, the run's facts and the
// command lines that reproduce the measurement. Text from the capture is escaped so that a
// placeholder such as <home> shows as written instead of vanishing as an HTML tag.
#include "report/markdown_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/strings.h"

namespace leakscope::report {
namespace {

constexpr size_t kTableSites = 10;
constexpr size_t kStackSites = 5;
constexpr size_t kStackFrames = 12;

// Inline text: no HTML, no table breaks, no line breaks.
std::string md(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '|': out += "\\|"; break;
      case '\n': case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

// Text inside a fenced block is shown literally; only a fence inside it must be broken.
std::string fenced(std::string_view s) {
  std::string out(s);
  for (size_t at = out.find("```"); at != std::string::npos; at = out.find("```", at + 2))
    out.replace(at, 3, "`\u200b``");
  return out;
}

std::string bytes(double v) { return std::isfinite(v) ? format_bytes(v) : "-"; }
std::string count(double v) { return std::isfinite(v) ? fmt::format("{:.0f}", v) : "-"; }
std::string rate(double per_s) { return format_byte_rate_per_min(per_s); }

void summary(const ReportModel& m, std::string* out) {
  *out += fmt::format("# leakscope report: {}\n\n", md(m.capture_name));
  if (m.redacted)
    *out += fmt::format("> Redacted: {} replaced by placeholders (`<home>`, `<user>`, `<host>`, "
                        "`<ip-N>`, `<email-N>`). Secrets in command lines are always masked.\n\n",
                        m.redaction_summary.empty() ? "nothing identifying was found; any would be"
                                                    : md(m.redaction_summary));
  *out += "## Summary\n\n";
  for (const auto& h : m.headline) *out += "**" + md(h) + "**\n\n";
  *out += fmt::format("Recorded {:.1f} s, {} process{}, {} mark{}; leakscope {}.\n\n", m.duration_s,
                      m.processes.size(), m.processes.size() == 1 ? "" : "es", m.marks.size(),
                      m.marks.size() == 1 ? "" : "s", md(m.leakscope_version));
}

void evidence(const ReportModel& m, std::string* out) {
  *out += "## Evidence\n\n| label | statement |\n|---|---|\n";
  for (const auto& e : m.verdict.evidence) *out += fmt::format("| {} | {} |\n", e.label, md(e.text));
  *out += "\n";
}

void processes(const ReportModel& m, std::string* out) {
  std::string src = m.processes.empty() ? "" : m.processes.front().memory_source;
  *out += "## Processes\n\n";
  *out += fmt::format("| process | pid | state | finding | peak {0} | final {0} | fds now/peak | "
                      "threads now/peak | share of growth |\n",
                      md(src));
  *out += "|---|---:|---|---|---:|---:|---:|---:|---:|\n";
  for (const auto& p : m.processes) {
    std::string indent;
    for (int d = 1; d < p.depth; ++d) indent += "· ";
    if (p.depth > 0) indent += "└ ";
    *out += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} |\n", indent,
                        md(p.comm), p.pid, p.state, md(p.finding), bytes(p.peak_memory),
                        bytes(p.final_memory), count(p.final_fds), count(p.peak_fds),
                        count(p.final_threads), count(p.peak_threads),
                        p.residence_share > 0 ? fmt::format("{:.0f}%", 100 * p.residence_share) : "");
  }
  *out += "\n";
}

void phases(const ReportModel& m, std::string* out) {
  if (m.verdict.phases.empty()) return;
  *out += "## Phases\n\n| phase | intervals | time | CPU | growth of the tree (PSS) |\n"
          "|---|---:|---:|---:|---|\n";
  for (const auto& ph : m.verdict.phases) {
    std::string growth;
    for (const auto& g : ph.growth)
      if (g.pid == 0) growth = fmt::format("{} ({})", bytes(g.growth), rate(g.rate));
    *out += fmt::format("| {} | {} | {:.1f} s | {:.1f}% | {} |\n", md(ph.label), ph.intervals,
                        ph.duration_s, ph.cpu_pct, growth);
  }
  *out += "\n";
}

std::string site_function(const SiteReport& s) {
  for (const auto& f : s.frames)
    if (f.function.rfind("operator new", 0) != 0 && f.function != "malloc" &&
        f.function != "calloc" && f.function != "realloc")
      return f.function;
  return s.frames.empty() ? s.key : s.frames.front().function;
}

std::string site_where(const SiteReport& s) {
  for (const auto& f : s.frames)
    if (f.function == site_function(s)) return f.where.empty() ? f.module : f.where;
  return "";
}

void sites(const ReportModel& m, std::string* out) {
  if (m.heap.empty()) return;
  *out += "## Top leak sites\n\n";
  for (const auto& h : m.heap) {
    *out += fmt::format("### pid {} ({})\n\n", h.pid, md(h.comm));
    *out += fmt::format("Heap tracking: {}{}; sustained window {:.1f}-{:.1f} s.\n\n", md(h.mode),
                        h.estimated ? " (sampled: counts are estimates)" : "", h.window_t0,
                        h.window_t1);
    if (h.sites.empty()) {
      *out += "No allocation sites recorded.\n\n";
      continue;
    }
    *out += "| # | trend | rate | 95% CI | live at end | unfreed | allocating function | where |\n"
            "|---:|---|---:|---|---:|---:|---|---|\n";
    for (size_t i = 0; i < std::min(kTableSites, h.sites.size()); ++i) {
      const SiteReport& s = h.sites[i];
      *out += fmt::format("| {} | {} | {} | {} .. {} | {} | {} | `{}` | {} |\n", s.rank,
                          s.growing ? "growing" : "no trend", rate(s.rate), rate(s.ci_lo),
                          rate(s.ci_hi), bytes(static_cast<double>(s.live_bytes)),
                          bytes(static_cast<double>(s.unfreed_bytes)), md(site_function(s)),
                          md(site_where(s)));
    }
    if (h.total_sites > kTableSites)
      *out += fmt::format("\n{} more sites: `leakscope sites --top 0`.\n",
                          h.total_sites - kTableSites);
    *out += "\n<details><summary>Stacks of the top sites (allocating frame first)</summary>\n\n";
    for (size_t i = 0; i < std::min(kStackSites, h.sites.size()); ++i) {
      const SiteReport& s = h.sites[i];
      *out += fmt::format("**{}. {}** {}, live {} at the end\n\n```\n", s.rank, md(site_function(s)),
                          rate(s.rate), bytes(static_cast<double>(s.live_bytes)));
      for (size_t k = 0; k < std::min(kStackFrames, s.frames.size()); ++k) {
        const SiteFrame& f = s.frames[k];
        *out += fenced(fmt::format("{}{}{}\n", f.inlined ? "(inlined) " : "", f.function,
                                   f.where.empty() ? (f.module.empty() ? "" : "  [" + f.module + "]")
                                                   : "  " + f.where));
      }
      if (s.frames.size() > kStackFrames)
        *out += fmt::format("... {} more frames\n", s.frames.size() - kStackFrames);
      *out += "```\n\n";
    }
    *out += "</details>\n\n";
  }
}

void closing(const ReportModel& m, std::string* out) {
  *out += "## What this capture cannot show\n\n";
  for (const auto& g : m.cannot_show) *out += "- " + md(g) + "\n";
  *out += "\n## How it was measured\n\n| | |\n|---|---|\n";
  for (const auto& f : m.facts) *out += fmt::format("| {} | {} |\n", md(f.name), md(f.value));
  for (const auto& f : m.costs) *out += fmt::format("| {} | {} |\n", md(f.name), md(f.value));
  *out += "\n## Reproduce\n\n```sh\n";
  for (const auto& r : m.reproduce) *out += fenced(r) + "\n";
  *out += "```\n";
}

}  // namespace

std::string render_markdown(const ReportModel& m) {
  std::string out;
  summary(m, &out);
  evidence(m, &out);
  processes(m, &out);
  phases(m, &out);
  sites(m, &out);
  closing(m, &out);
  return out;
}

}  // namespace leakscope::report
