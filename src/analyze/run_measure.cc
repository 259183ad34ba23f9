// Reads one run's rate from its capture; see run_measure.h.
#include "analyze/run_measure.h"

#include <algorithm>
#include <cstdint>

#include "analyze/phases.h"
#include "analyze/series_extract.h"
#include "analyze/verdict.h"
#include "store/series_reader.h"

namespace leakscope::analyze {
namespace {

// The judged series of one process, read again from the capture (for a warm-up cut or
// phase growth, which the verdict does not keep).
StatusOr<Series> load_series(store::CaptureReader& reader, int64_t process_id,
                             const std::string& name) {
  ASSIGN_OR_RETURN(auto cols, store::read_sample_columns(reader.db(), process_id, INT64_MAX));
  ASSIGN_OR_RETURN(auto det, store::read_detail_columns(reader.db(), process_id, INT64_MAX));
  for (auto& s : process_series(cols, det))
    if (s.name == name) return s;
  return Series{};
}

void take(const SeriesResult& r, Measurement* m) {
  m->state = r.state;
  m->reason = r.reason;
  m->rate = r.rate;
  m->ci_lo = r.ci_lo;
  m->ci_hi = r.ci_hi;
  m->window_t0 = r.window_t0;
  m->window_t1 = r.window_t1;
  m->need_more_s = r.need_more_s;
}

}  // namespace

StatusOr<Measurement> measure_capture(const std::string& capture, const MeasureSpec& spec) {
  ASSIGN_OR_RETURN(auto reader, store::CaptureReader::open(capture));
  const store::CaptureMeta& meta = reader.meta();
  Measurement m;
  m.series = spec.series;
  m.exit_code = meta.run.exit_code;
  m.exit_signal = meta.run.exit_signal;
  AnalyzeOptions o;
  o.capture_path = capture;
  bool tree = spec.role == ProcessRole::kTree;
  o.series = {spec.series};  // the tree's series have the same names (PSS sums)
  ASSIGN_OR_RETURN(Verdict v, analyze_capture(reader, o));
  m.recorded_s = v.recording_end_s;

  if (tree) {
    m.process = "tree";
    for (const auto& sv : v.tree.series)
      if (sv.r.name == o.series[0]) {
        take(sv.r, &m);
        m.measured = true;
        m.matches = 1;
      }
    if (!m.measured) m.why_not = "the tree has no " + spec.series + " series";
    return m;
  }

  // The candidates, as capture process ids.
  const store::ProcessInfo* root = nullptr;
  for (const auto& p : meta.processes)
    if (p.is_root && !root) root = &p;
  std::vector<int64_t> candidates;
  switch (spec.role) {
    case ProcessRole::kRoot:
      if (root) candidates.push_back(root->id);
      break;
    case ProcessRole::kChild: {
      std::vector<const store::ProcessInfo*> children;
      for (const auto& p : meta.processes)
        if (root && p.parent_id == root->id) children.push_back(&p);
      std::stable_sort(children.begin(), children.end(), [](const auto* a, const auto* b) {
        return a->first_seen_ms < b->first_seen_ms;
      });
      if (static_cast<size_t>(spec.child_index) <= children.size())
        candidates.push_back(children[static_cast<size_t>(spec.child_index) - 1]->id);
      break;
    }
    case ProcessRole::kName:
      for (const auto& pv : v.processes)
        if (pv.comm == spec.name) candidates.push_back(pv.process_id);
      break;
    case ProcessRole::kLargest:
    case ProcessRole::kTree:
      for (const auto& pv : v.processes) candidates.push_back(pv.process_id);
      break;
  }
  // Among several (a name, or every process): the fastest in sustained growth; else the
  // fastest of those the engine could judge, so that a short-lived helper whose few samples
  // leave it `settling` does not hide a judged, flat main process; else the fastest.
  auto rank = [](const SeriesVerdict* sv) {
    return sv->r.state == State::kSustainedGrowth ? 2 : sv->r.state == State::kSettling ? 0 : 1;
  };
  const ProcessVerdict* chosen = nullptr;
  const SeriesVerdict* chosen_series = nullptr;
  for (const auto& pv : v.processes) {
    if (std::find(candidates.begin(), candidates.end(), pv.process_id) == candidates.end()) continue;
    const SeriesVerdict* sv = pv.find(spec.series);
    if (!sv) continue;
    ++m.matches;
    if (!chosen_series || rank(sv) > rank(chosen_series) ||
        (rank(sv) == rank(chosen_series) && sv->r.rate > chosen_series->r.rate)) {
      chosen = &pv;
      chosen_series = sv;
    }
  }
  if (!chosen) {
    m.why_not = candidates.empty() ? "no process matched " + spec.describe()
                                   : spec.describe() + " has no " + spec.series + " series";
    return m;
  }
  m.pid = chosen->pid;
  m.comm = chosen->comm;
  m.process = chosen->comm + " (pid " + std::to_string(chosen->pid) + ")";
  take(chosen_series->r, &m);
  m.measured = true;

  if (spec.warmup_s > 0 || !spec.phases.empty()) {
    ASSIGN_OR_RETURN(Series s, load_series(reader, chosen->process_id, spec.series));
    if (spec.warmup_s > 0) {
      Series cut = s;
      cut.t.clear();
      cut.v.clear();
      for (size_t i = 0; i < s.size(); ++i)
        if (s.t[i] >= spec.warmup_s) {
          cut.t.push_back(s.t[i]);
          cut.v.push_back(s.v[i]);
        }
      s = cut;
      take(evaluate_series(s, o.params), &m);
    }
    if (!spec.phases.empty()) {
      PhaseIntervals iv = phase_intervals(meta.marks, v.recording_end_s);
      PhaseIntervals kept;
      for (size_t i = 0; i < iv.labels.size(); ++i)
        if (std::find(spec.phases.begin(), spec.phases.end(), iv.labels[i]) != spec.phases.end() &&
            iv.t1[i] > spec.warmup_s) {
          kept.labels.push_back(iv.labels[i]);
          kept.t0.push_back(std::max(iv.t0[i], spec.warmup_s));
          kept.t1.push_back(iv.t1[i]);
        }
      double duration = 0, growth = 0;
      for (size_t i = 0; i < kept.labels.size(); ++i) duration += kept.t1[i] - kept.t0[i];
      for (const auto& [label, g] : growth_by_label(s, kept)) growth += g;
      if (duration <= 0) {
        m.measured = false;
        m.why_not = "no interval labelled " + spec.phases[0] + " was recorded";
        return m;
      }
      m.rate = growth / duration;
      m.ci_lo = m.ci_hi = NAN;
      m.window_t0 = kept.t0.front();
      m.window_t1 = kept.t1.back();
    }
  }
  return m;
}

}  // namespace leakscope::analyze
