// build_report_model: runs the verdict engine on the capture, primes the Redactor, and
// assembles the sections (report_series.cc, report_heap.cc, report_facts.cc,
// report_gaps.cc) in a fixed order, so placeholders number the same way every time.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "analyze/evidence.h"
#include "analyze/phases.h"
#include "report/redact_capture.h"
#include "report/report_build.h"

namespace leakscope::report {
namespace {

std::string file_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string interval_text(const analyze::SeriesResult& r) {
  return fmt::format("{} (95% CI {} to {})", analyze::format_rate(r, r.rate),
                     analyze::format_rate(r, r.ci_lo), analyze::format_rate(r, r.ci_hi));
}

// The headline: what grows, where, how fast; or that nothing does, or that it is too soon.
void headline(ReportModel* m) {
  const analyze::Verdict& v = m->verdict;
  for (const auto& p : v.processes)
    for (const auto& sv : p.series) {
      if (sv.r.state != analyze::State::kSustainedGrowth) continue;
      std::string cls;
      if (sv.r.kind == analyze::SeriesKind::kBytes && !p.memory_class.growth_class.empty())
        cls = " [" + p.memory_class.growth_class +
              (p.memory_class.allocator_retention_suspected ? ", allocator retention suspected" : "") +
              "]";
      m->headline.push_back(fmt::format("Sustained growth in pid {} ({}): {} {} over {:.1f}-{:.1f} s{}",
                                        p.pid, p.comm, sv.r.name, interval_text(sv.r),
                                        sv.r.window_t0, sv.r.window_t1, cls));
    }
  for (const auto& sv : v.tree.series)
    if (sv.r.state == analyze::State::kSustainedGrowth && sv.r.name == v.tree.residence_series)
      m->headline.push_back(fmt::format("Sustained growth of the whole tree ({} summed over its "
                                        "processes): {} over {:.1f}-{:.1f} s",
                                        sv.r.name, interval_text(sv.r), sv.r.window_t0,
                                        sv.r.window_t1));
  if (!v.tree.residence.empty()) {
    std::string parts;
    for (const auto& r : v.tree.residence)
      parts += fmt::format("{}pid {} ({}) {:.0f}%", parts.empty() ? "" : ", ", r.pid, r.comm,
                           100 * r.share);
    m->headline.push_back("The growth resides in " + parts + ".");
  }
  if (!m->headline.empty()) {
    m->verdict_kind = "growth";
    return;
  }
  bool settling = v.tree.state == analyze::State::kSettling;
  for (const auto& p : v.processes) settling = settling || p.state == analyze::State::kSettling;
  m->verdict_kind = settling ? "undecided" : "none";
  m->headline.push_back(settling ? "Undecided: no sustained growth found yet, but some series are "
                                   "still settling; record longer."
                                 : "No sustained growth in any process or series.");
}

// One line for a process: its most serious series and what the verdict says of it.
std::string finding(const analyze::ProcessVerdict& p) {
  const analyze::SeriesVerdict* top = nullptr;
  for (const auto& sv : p.series)
    if (sv.r.state != analyze::State::kNoGrowth &&
        (!top || analyze::state_severity(sv.r.state) > analyze::state_severity(top->r.state)))
      top = &sv;
  if (!top) return "";
  std::string s = top->r.name + " " + analyze::state_name(top->r.state);
  if (top->r.state == analyze::State::kSustainedGrowth) s += " " + interval_text(top->r);
  return s;
}

void add_processes(const store::CaptureMeta& meta, Redactor& redactor, ReportModel* m) {
  std::map<int64_t, const analyze::ProcessVerdict*> judged;
  for (const auto& p : m->verdict.processes) judged[p.process_id] = &p;
  std::map<int32_t, double> share;
  for (const auto& r : m->verdict.tree.residence) share[r.pid] = r.share;
  std::map<int64_t, std::vector<const store::ProcessInfo*>> children;
  std::vector<const store::ProcessInfo*> roots;
  for (const auto& p : meta.processes) {
    if (p.parent_id >= 0 && meta.find_process(p.parent_id)) children[p.parent_id].push_back(&p);
    else roots.push_back(&p);
  }
  auto visit = [&](auto&& self, const store::ProcessInfo* p, int depth) -> void {
    ProcessReport r;
    r.process_id = p->id;
    r.pid = p->pid;
    r.parent_id = p->parent_id;
    r.depth = depth;
    if (const auto* g = meta.latest_generation(p->id)) {
      r.comm = redactor.apply(g->comm);
      r.cmdline = redactor.apply(g->cmdline);
      r.exe = redactor.apply(g->exe);
    }
    r.end_state = p->end_state;
    r.first_seen_s = static_cast<double>(p->first_seen_ms) / 1000.0;
    r.last_seen_s = static_cast<double>(p->last_seen_ms >= 0 ? p->last_seen_ms : p->first_seen_ms) / 1000.0;
    r.exit_code = p->exit_code;
    r.exit_signal = p->exit_signal;
    auto it = judged.find(p->id);
    r.judged = it != judged.end();
    r.state = r.judged ? analyze::state_name(it->second->state) : "not judged";
    if (r.judged) {
      r.finding = finding(*it->second);
      r.growth_class = it->second->memory_class.growth_class;
      r.allocator_retention = it->second->memory_class.allocator_retention_suspected;
      r.last_seen_s = std::max(r.last_seen_s, it->second->last_seen_s);
    }
    if (auto s = share.find(p->pid); s != share.end()) r.residence_share = s->second;
    m->processes.push_back(std::move(r));
    for (const auto* c : children[p->id]) self(self, c, depth + 1);
  };
  for (const auto* r : roots) visit(visit, r, 0);
}

}  // namespace

StatusOr<ReportModel> build_report_model(const std::string& capture_path,
                                         const ModelOptions& options) {
  ASSIGN_OR_RETURN(store::CaptureReader reader, store::CaptureReader::open(capture_path));
  const store::CaptureMeta& meta = reader.meta();
  analyze::AnalyzeOptions ao;
  ao.capture_path = file_name(capture_path);
  ASSIGN_OR_RETURN(analyze::Verdict verdict, analyze::analyze_capture(reader, ao));

  Redactor redactor = make_capture_redactor(meta, options.redact);
  ReportModel m;
  m.redacted = options.redact;
  m.leakscope_version = LEAKSCOPE_VERSION;
  m.capture_name = redactor.apply(file_name(capture_path));
  m.verdict = std::move(verdict);
  redact_verdict(&m.verdict, redactor);
  m.duration_s = m.verdict.recording_end_s;
  headline(&m);
  add_processes(meta, redactor, &m);

  // Fewer points per series when there are many processes: the page stays light.
  size_t lines = std::max<size_t>(1, m.processes.size() * 7);
  size_t per_series = std::clamp(options.point_budget / lines, std::min<size_t>(400, options.max_points),
                                 options.max_points);
  std::map<int64_t, const analyze::ProcessVerdict*> judged;
  for (const auto& p : m.verdict.processes) judged[p.process_id] = &p;
  RETURN_IF_ERROR(add_all_process_charts(reader.db().path(), judged, per_series, &m.processes));

  analyze::PhaseIntervals iv = analyze::phase_intervals(meta.marks, m.duration_s);
  for (size_t i = 0; i < iv.labels.size(); ++i)
    m.phases.push_back({redactor.apply(iv.labels[i]), iv.t0[i], iv.t1[i]});
  for (const auto& mk : meta.marks)
    m.marks.push_back({static_cast<double>(mk.t_ms) / 1000.0, redactor.apply(mk.label), mk.source,
                       redactor.apply(mk.text)});

  RETURN_IF_ERROR(add_heap_reports(reader, capture_path, options, redactor, &m));
  RETURN_IF_ERROR(add_run_facts(reader, capture_path, redactor, &m));
  RETURN_IF_ERROR(add_cannot_show(reader, redactor, &m));
  m.redaction_summary = redactor.summary();
  return m;
}

}  // namespace leakscope::report
