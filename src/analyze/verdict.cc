// analyze_capture: reads a capture one process at a time (columnar, cut at --at), judges
// each process's series and the tree's PSS sums, then derives residence, growth classes,
// phase statistics and the evidence sentences. See verdict.h.
#include "analyze/verdict.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "analyze/evidence.h"
#include "analyze/memory_class.h"
#include "analyze/series_extract.h"
#include "store/heap_reader.h"
#include "store/series_reader.h"

namespace leakscope::analyze {
namespace {

bool wanted(const std::vector<std::string>& names, const std::string& name) {
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}

State worst(const std::vector<SeriesVerdict>& series) {
  State s = State::kNoGrowth;
  for (const auto& sv : series)
    if (state_severity(sv.r.state) > state_severity(s)) s = sv.r.state;
  return s;
}

// Thins a series to at most `n` points (for residence, which only needs slopes).
Series thin(Series s, size_t n) {
  if (s.size() <= n) return s;
  size_t stride = (s.size() + n - 1) / n;
  Series out;
  out.name = s.name;
  out.source = s.source;
  out.kind = s.kind;
  for (size_t i = 0; i < s.size(); i += stride) {
    out.t.push_back(s.t[i]);
    out.v.push_back(s.v[i]);
  }
  return out;
}

void attach_limit(SeriesVerdict* sv, const std::string& limit, double value, double in_use) {
  const SeriesResult& r = sv->r;
  if (value <= 0 || r.state != State::kSustainedGrowth || r.rate <= 0) return;
  TimeToLimit t;
  t.limit = limit;
  t.limit_value = value;
  t.headroom = std::max(0.0, value - in_use);
  t.eta_s = t.headroom / r.rate;
  if (r.ci_hi > 0) t.eta_earliest_s = t.headroom / r.ci_hi;
  if (r.ci_lo > 0) t.eta_latest_s = t.headroom / r.ci_lo;
  sv->to_limit = t;
}

struct ProcessData {
  Series memory;  // PSS (or RSS), thinned
  Series growth;  // the series used for phases
  std::map<std::string, double> phase_growth;
};

}  // namespace

int state_severity(State s) {
  switch (s) {
    case State::kNoGrowth: return 0;
    case State::kBounded: return 1;
    case State::kStoppedGrowing: return 2;
    case State::kSettling: return 3;
    case State::kSustainedGrowth: return 4;
  }
  return 0;
}

const SeriesVerdict* ProcessVerdict::find(const std::string& name) const {
  for (const auto& sv : series)
    if (sv.r.name == name) return &sv;
  return nullptr;
}

StatusOr<Verdict> analyze_capture(store::CaptureReader& reader, const AnalyzeOptions& o) {
  const store::CaptureMeta& meta = reader.meta();
  Verdict v;
  v.capture = o.capture_path;
  v.cgroup_mem_max = meta.run.cgroup_mem_max;
  v.mem_total = meta.run.mem_total;
  v.nofile_limit = meta.run.nofile_limit;
  ASSIGN_OR_RETURN(int64_t last_ms, reader.db().query_int("SELECT IFNULL(MAX(t_ms), 0) FROM sample"));
  int64_t end_ms = std::max<int64_t>(meta.run.end_ms, last_ms);
  int64_t at_ms = o.at_s >= 0 ? std::min<int64_t>(end_ms, std::llround(o.at_s * 1000)) : end_ms;
  v.recording_end_s = static_cast<double>(end_ms) / 1000.0;
  v.evaluated_at_s = static_cast<double>(at_ms) / 1000.0;
  const double at_s = v.evaluated_at_s;

  std::vector<store::Mark> marks;
  for (const auto& m : meta.marks)
    if (m.t_ms <= at_ms) marks.push_back(m);
  PhaseIntervals iv = phase_intervals(marks, at_s);
  SeriesParams params = o.params;
  double cycle = phase_cycle_s(iv);
  if (cycle > 0) params.min_regime_s = std::max(params.min_regime_s, std::min(2 * cycle, 0.5 * at_s));

  double tick_s = static_cast<double>(std::max<int64_t>(meta.run.tick_ms, 1)) / 1000.0;
  // When the whole tree ends inside the evaluated span, its last moments are the teardown
  // (children reaped one after the other): the tree's sums stop before the first of those
  // exits, so the total "now" is not a half-exited tree.
  double tree_end_s = at_s;
  {
    int64_t root_exit = -1;
    for (const auto& p : meta.processes)
      if (p.is_root && p.exit_ms >= 0 && p.exit_ms <= at_ms) root_exit = p.exit_ms;
    if (root_exit >= 0) {
      int64_t margin = std::max<int64_t>(2000, at_ms / 50);
      int64_t first = root_exit;
      for (const auto& p : meta.processes)
        if (p.exit_ms >= 0 && p.exit_ms >= root_exit - margin) first = std::min(first, p.exit_ms);
      tree_end_s = std::max(0.0, static_cast<double>(first) / 1000.0 - tick_s);
    }
  }
  TreeAccumulator tree_acc(tree_end_s, std::max(tick_s, at_s / 1000));
  std::map<std::string, double> tree_cpu_by_label;
  std::map<int64_t, ProcessData> data;

  for (const auto& p : meta.processes) {
    if (p.first_seen_ms > at_ms) continue;
    ASSIGN_OR_RETURN(auto cols, store::read_sample_columns(reader.db(), p.id, at_ms));
    ASSIGN_OR_RETURN(auto det, store::read_detail_columns(reader.db(), p.id, at_ms));
    bool exited = p.exit_ms >= 0 && p.exit_ms <= at_ms;
    tree_acc.add(cols, det, exited ? static_cast<double>(p.exit_ms) / 1000.0 : -1);
    for (const auto& [label, sec] : cpu_by_label(cols.t_ms, cols.cpu_ms, iv))
      tree_cpu_by_label[label] += sec;
    ProcessData& pd = data[p.id];
    pd.memory = thin(process_memory_series(cols, det), 2000);
    if (!o.pids.empty() && std::find(o.pids.begin(), o.pids.end(), p.pid) == o.pids.end())
      continue;

    ProcessVerdict pv;
    pv.process_id = p.id;
    pv.pid = p.pid;
    if (const auto* parent = meta.find_process(p.parent_id)) pv.parent_pid = parent->pid;
    if (p.start_ms != store::kUnknownTime) pv.start_time_s = static_cast<double>(p.start_ms) / 1000.0;
    if (const auto* g = meta.latest_generation(p.id)) {
      pv.comm = g->comm;
      pv.cmdline = g->cmdline;
    }
    pv.exited = exited;
    pv.first_seen_s = static_cast<double>(p.first_seen_ms) / 1000.0;
    pv.last_seen_s = cols.t_ms.empty() ? pv.first_seen_s : static_cast<double>(cols.t_ms.back()) / 1000.0;
    if (!cols.cpu_ms.empty() && cols.cpu_ms.back() >= 0 && cols.cpu_ms.front() >= 0 &&
        pv.last_seen_s > pv.first_seen_s)
      pv.cpu_pct = 100.0 * static_cast<double>(cols.cpu_ms.back() - cols.cpu_ms.front()) / 1000.0 /
                   (pv.last_seen_s - static_cast<double>(cols.t_ms.front()) / 1000.0 + 1e-9);
    std::vector<Series> series = process_series(cols, det);
    for (const Series& s : series) {
      if (!wanted(o.series, s.name)) continue;
      pv.series.push_back({evaluate_series(s, params), std::nullopt});
    }
    pv.state = worst(pv.series);

    // Growth class: live heap (heap tracker) and address-space shape, when recorded.
    Series heap, vm_data;
    auto totals = store::read_heap_totals(reader, p.id);
    if (totals.is_ok()) {
      heap.name = "live_heap";
      heap.source = "heap tracker live bytes";
      for (const auto& h : *totals)
        if (h.t_ms <= at_ms) {
          heap.t.push_back(static_cast<double>(h.t_ms) / 1000.0);
          heap.v.push_back(static_cast<double>(h.live_bytes + std::max<int64_t>(0, h.mmap_live_bytes)));
        }
    }
    for (size_t i = 0; i < cols.size(); ++i)
      if (cols.vm_data[i] >= 0) {
        vm_data.t.push_back(static_cast<double>(cols.t_ms[i]) / 1000.0);
        vm_data.v.push_back(static_cast<double>(cols.vm_data[i]));
      }
    ClassInputs ci;
    ci.live_heap = &heap;
    ci.vm_data = &vm_data;
    auto maps = reader.maps_summaries(p.id);
    if (maps.is_ok())
      for (const auto& m : *maps)
        if (m.t_ms <= at_ms) ci.maps.push_back(m);
    pv.memory_class = classify_growth(pv, ci);

    // The series phases and busy/idle look at: the fastest growing one, else anon.
    const Series* focus = nullptr;
    double best_rate = -1;
    for (const auto& sv : pv.series)
      if (sv.r.state == State::kSustainedGrowth && sv.r.rate > best_rate)
        for (const auto& s : series)
          if (s.name == sv.r.name) {
            focus = &s;
            best_rate = sv.r.rate;
          }
    if (!focus)
      for (const auto& s : series)
        if (s.name == "anon") focus = &s;
    if (focus) {
      pd.growth = *focus;
      pd.phase_growth = growth_by_label(*focus, iv);
      pv.busy_idle = busy_idle_split(*focus, cols.t_ms, cols.cpu_ms);
      pv.busy_idle_series = focus->name;
    }
    v.processes.push_back(std::move(pv));
  }

  // The tree, then limits (which need the tree's total in use).
  std::vector<Series> tree_series = tree_acc.series();
  double tree_pss_now = 0;
  for (const Series& s : tree_series) {
    if (s.name == "pss" && !s.empty()) tree_pss_now = s.v.back();
    if (!wanted(o.series, s.name) && s.name != "pss") continue;
    v.tree.series.push_back({evaluate_series(s, params), std::nullopt});
  }
  if (!tree_acc.has_pss())
    v.notes.push_back("no PSS in this capture (--no-detail?): the tree total sums RSS, so pages "
                      "shared between processes may count twice");
  v.tree.state = worst(v.tree.series);
  double mem_limit = v.cgroup_mem_max > 0 ? static_cast<double>(v.cgroup_mem_max)
                                          : static_cast<double>(v.mem_total);
  std::string mem_limit_name = v.cgroup_mem_max > 0 ? "cgroup memory.max" : "MemTotal";
  for (auto& pv : v.processes)
    for (auto& sv : pv.series) {
      if (sv.r.kind == SeriesKind::kBytes)
        attach_limit(&sv, mem_limit_name, mem_limit, tree_pss_now);
      else if (sv.r.name == "fds")
        attach_limit(&sv, "RLIMIT_NOFILE", static_cast<double>(v.nofile_limit), sv.r.last_value);
    }
  for (auto& sv : v.tree.series)
    if (sv.r.kind == SeriesKind::kBytes)
      attach_limit(&sv, mem_limit_name, mem_limit, tree_pss_now);

  // Residence: which processes carry the tree's sustained memory growth.
  const SeriesVerdict* grow = nullptr;
  for (const auto& sv : v.tree.series)
    if (sv.r.kind == SeriesKind::kBytes && sv.r.state == State::kSustainedGrowth &&
        (!grow || sv.r.name == "pss"))
      grow = &sv;
  if (grow) {
    v.tree.residence_series = grow->r.name;
    double total = 0;
    for (const auto& p : meta.processes) {
      auto it = data.find(p.id);
      if (it == data.end()) continue;
      double slope, lo, hi;
      if (!window_trend(it->second.memory, grow->r.window_t0, grow->r.window_t1, &slope, &lo, &hi))
        continue;
      if (slope <= 0) continue;
      Residence r;
      r.pid = p.pid;
      if (const auto* g = meta.latest_generation(p.id)) r.comm = g->comm;
      r.rate = slope;
      for (const auto& pv : v.processes)
        if (pv.process_id == p.id) r.own_verdict_growth = pv.state == State::kSustainedGrowth;
      total += slope;
      v.tree.residence.push_back(r);
    }
    for (auto& r : v.tree.residence) r.share = total > 0 ? r.rate / total : 0;
    std::sort(v.tree.residence.begin(), v.tree.residence.end(),
              [](const Residence& a, const Residence& b) { return a.share > b.share; });
    while (!v.tree.residence.empty() && v.tree.residence.back().share < 0.01)
      v.tree.residence.pop_back();
  }

  // Phases: growth per label for the tree and for each judged process.
  std::map<std::string, double> tree_growth;
  for (const Series& s : tree_series)
    if (s.name == "pss") tree_growth = growth_by_label(s, iv);
  for (const auto& label : iv.order) {
    PhaseStat ps;
    ps.label = label;
    for (size_t i = 0; i < iv.labels.size(); ++i)
      if (iv.labels[i] == label) {
        ++ps.intervals;
        ps.duration_s += iv.t1[i] - iv.t0[i];
      }
    if (ps.duration_s <= 0) continue;
    ps.cpu_pct = 100 * tree_cpu_by_label[label] / ps.duration_s;
    ps.growth.push_back({0, "tree", "pss", tree_growth[label], tree_growth[label] / ps.duration_s});
    for (const auto& pv : v.processes) {
      const ProcessData& pd = data[pv.process_id];
      auto it = pd.phase_growth.find(label);
      if (it == pd.phase_growth.end()) continue;
      ps.growth.push_back({pv.pid, pv.comm, pd.growth.name, it->second, it->second / ps.duration_s});
    }
    v.phases.push_back(std::move(ps));
  }

  v.sustained_growth_found = v.tree.state == State::kSustainedGrowth;
  for (const auto& pv : v.processes)
    if (pv.state == State::kSustainedGrowth) v.sustained_growth_found = true;
  v.evidence = build_evidence(v);
  return v;
}

}  // namespace leakscope::analyze
