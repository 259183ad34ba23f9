// Evidence sentences; see evidence.h.
#include "analyze/evidence.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "analyze/rate_spec.h"
#include "base/strings.h"

namespace leakscope::analyze {
namespace {

std::string who(const ProcessVerdict& p) { return fmt::format("pid {} ({})", p.pid, p.comm); }

std::string window(double t0, double t1) { return fmt::format("{:.1f}-{:.1f} s", t0, t1); }

std::string p_text(double p) { return p < 1e-6 ? "p < 1e-6" : fmt::format("p = {:.2g}", p); }

std::string growth_sentence(const std::string& subject, const SeriesResult& r) {
  std::string s = fmt::format(
      "{} {} ({}): sustained growth {} (95% CI {} to {}; {}/h) on {}: Theil-Sen slope of the "
      "final regime{}, Hamed-Rao-corrected Mann-Kendall {}",
      subject, r.name, r.source, format_rate(r, r.rate), format_rate(r, r.ci_lo),
      format_rate(r, r.ci_hi), format_value(r, r.rate * 3600), window(r.window_t0, r.window_t1),
      r.envelope ? " (lower envelope: the level after each drop)" : "", p_text(r.p));
  if (!std::isnan(r.warmup_end))
    s += fmt::format("; warm-up/steps before {:.1f} s left out", r.warmup_end);
  if (r.transient.present) s += "; a decelerating transient was fitted and subtracted";
  return s;
}

void add(std::vector<EvidenceLine>* out, const char* label, std::string text) {
  out->push_back({label, std::move(text)});
}

void series_evidence(std::vector<EvidenceLine>* out, const std::string& subject,
                     const SeriesVerdict& sv) {
  const SeriesResult& r = sv.r;
  switch (r.state) {
    case State::kSustainedGrowth:
      add(out, "MEASURED",
          fmt::format("{} {} ({}): {} at {:.1f} s, {} at {:.1f} s, peak {}", subject, r.name,
                      r.source, format_value(r, r.first_value), r.t_first,
                      format_value(r, r.last_value), r.t_last, format_value(r, r.peak_value)));
      add(out, "INFERRED", growth_sentence(subject, r));
      if (sv.to_limit) {
        const TimeToLimit& t = *sv.to_limit;
        add(out, "ESTIMATED",
            fmt::format("{} {}: at this rate the {} headroom to {} ({}) lasts {} (between {} "
                        "and {} at the ends of the interval)",
                        subject, r.name, format_value(r, t.headroom), t.limit,
                        format_value(r, t.limit_value), format_duration(t.eta_s),
                        format_duration(t.eta_earliest_s),
                        std::isnan(t.eta_latest_s) ? std::string("unbounded")
                                                   : format_duration(t.eta_latest_s)));
      }
      break;
    case State::kBounded:
      add(out, "INFERRED",
          fmt::format("{} {} ({}): grew from {} to {} and levelled off{}; after that no "
                      "sustained growth ({}, 95% CI {} to {}) on {}: it only warmed up",
                      subject, r.name, r.source, format_value(r, r.first_value),
                      format_value(r, r.level),
                      std::isnan(r.warmup_end) ? std::string()
                                               : fmt::format(" by {:.1f} s", r.warmup_end),
                      format_rate(r, r.rate), format_rate(r, r.ci_lo), format_rate(r, r.ci_hi),
                      window(r.window_t0, r.window_t1)));
      break;
    case State::kStoppedGrowing:
      add(out, "INFERRED",
          fmt::format("{} {} ({}): grew steadily, then stopped at about {:.1f} s; no sustained "
                      "growth after ({} on {})",
                      subject, r.name, r.source, r.window_t0, format_rate(r, r.rate),
                      window(r.window_t0, r.window_t1)));
      break;
    case State::kSettling:
      add(out, "INFERRED",
          fmt::format("{} {} ({}): undecided, {}; about {} more observation needed", subject,
                      r.name, r.source, r.reason, format_duration(std::max(r.need_more_s, 1.0))));
      break;
    case State::kNoGrowth:
      break;
  }
}

}  // namespace

std::string format_value(const SeriesResult& r, double value) {
  if (r.kind == SeriesKind::kBytes) return format_bytes(value);
  return fmt::format("{:.4g} {}", value, r.name);
}

std::string format_rate(const SeriesResult& r, double per_s) {
  if (r.kind == SeriesKind::kBytes) return format_byte_rate_per_min(per_s);
  double per_min = count_rate_per_min(per_s);
  return fmt::format("{}{:.3g} {}/min", per_min >= 0 ? "+" : "", per_min, r.name);
}

std::string format_duration(double s) {
  if (std::isnan(s) || std::isinf(s)) return "-";
  if (s < 120) return fmt::format("{:.0f} s", s);
  if (s < 7200) return fmt::format("{:.0f} min", s / 60);
  if (s < 3 * 86400) return fmt::format("{:.1f} h", s / 3600);
  return fmt::format("{:.1f} days", s / 86400);
}

std::vector<EvidenceLine> build_evidence(const Verdict& v) {
  std::vector<EvidenceLine> out;
  for (const auto& sv : v.tree.series)
    series_evidence(&out, "tree (PSS sums)", sv);
  if (!v.tree.residence.empty()) {
    std::string parts;
    for (const auto& r : v.tree.residence)
      parts += fmt::format("{}pid {} ({}) {:.0f}% ({})", parts.empty() ? "" : ", ", r.pid, r.comm,
                           100 * r.share, format_byte_rate_per_min(r.rate));
    const SeriesVerdict* g = nullptr;
    for (const auto& sv : v.tree.series)
      if (sv.r.name == v.tree.residence_series) g = &sv;
    add(&out, "INFERRED",
        fmt::format("the tree's growth resides in: {} (share of the positive PSS slopes of each "
                    "process on {})",
                    parts, g ? window(g->r.window_t0, g->r.window_t1) : std::string("-")));
  }
  for (const auto& p : v.processes) {
    for (const auto& sv : p.series) series_evidence(&out, who(p), sv);
    for (const auto& e : p.memory_class.evidence) add(&out, "INFERRED", who(p) + ": " + e);
    const BusyIdleSplit& b = p.busy_idle;
    if (b.available && p.state == State::kSustainedGrowth) {
      SeriesResult unit;
      unit.kind = p.busy_idle_series == "fds" || p.busy_idle_series == "threads"
                      ? SeriesKind::kCount
                      : SeriesKind::kBytes;
      unit.name = p.busy_idle_series;
      add(&out, "MEASURED",
          fmt::format("{} {}: {} while busy ({:.0f}% of the time, CPU {:.0f}% of a core), {} "
                      "while idle (CPU {:.0f}%)",
                      who(p), p.busy_idle_series, format_rate(unit, b.busy_rate),
                      100 * b.busy_fraction, b.busy_cpu_pct, format_rate(unit, b.idle_rate),
                      b.idle_cpu_pct));
    }
  }
  for (const auto& ph : v.phases) {
    std::string parts;
    for (const auto& g : ph.growth) {
      if (g.pid != 0 && std::fabs(g.rate) * 60 < 64 * 1024 && g.series != "fds" &&
          g.series != "threads")
        continue;  // flat processes: left out of the sentence
      SeriesResult unit;
      unit.kind = g.series == "fds" || g.series == "threads" ? SeriesKind::kCount
                                                             : SeriesKind::kBytes;
      unit.name = g.series;
      parts += fmt::format("; {} {} {} ({})",
                           g.pid == 0 ? std::string("tree") : fmt::format("pid {} ({})", g.pid, g.comm),
                           g.series, format_value(unit, g.growth), format_rate(unit, g.rate));
    }
    add(&out, "MEASURED",
        fmt::format("phase `{}`: {} interval(s), {:.1f} s in all, CPU {:.1f}% of a core{}",
                    ph.label, ph.intervals, ph.duration_s, ph.cpu_pct, parts));
  }
  // Staircase: a growing process that grows in some phases and not in others.
  for (const auto& p : v.processes) {
    if (p.state != State::kSustainedGrowth || v.phases.size() < 2) continue;
    double top = 0;
    for (const auto& sv : p.series)
      if (sv.r.state == State::kSustainedGrowth) top = std::max(top, sv.r.rate);
    std::vector<std::string> grows, flat;
    for (const auto& ph : v.phases)
      for (const auto& g : ph.growth)
        if (g.pid == p.pid)
          (g.rate > 0.25 * top ? grows : flat)
              .push_back(fmt::format("`{}` ({})", ph.label, format_byte_rate_per_min(g.rate)));
    if (!grows.empty() && !flat.empty())
      add(&out, "INFERRED",
          fmt::format("{} grows during {} and not during {}: growth follows the phases "
                      "(staircase)",
                      who(p), fmt::join(grows, ", "), fmt::join(flat, ", ")));
  }
  for (const auto& n : v.notes) add(&out, "MEASURED", n);
  return out;
}

}  // namespace leakscope::analyze
