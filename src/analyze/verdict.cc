// analyze_capture: reads a capture one process at a time (columnar, cut at --at), judges
// each process's series and the tree's PSS sums, then derives residence, growth classes,
// phase statistics and the evidence sentences. See verdict.h.
#include "analyze/verdict.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include "analyze/evidence.h"
#include "analyze/process_verdict.h"
#include "analyze/series_extract.h"
#include "store/heap_reader.h"

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
  Series memory;              // PSS (or RSS), thinned
  std::string growth_series;  // the series used for phases
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

  // Processes are judged on up to two threads, each with its own read-only connection
  // (SQLite reads dominate on large captures); results keep the capture's order.
  std::vector<ProcessJob> jobs;
  for (const auto& p : meta.processes) {
    if (p.first_seen_ms > at_ms) continue;
    bool judge = o.pids.empty() || std::find(o.pids.begin(), o.pids.end(), p.pid) != o.pids.end();
    jobs.push_back({&p, at_ms, judge});
  }
  std::mutex reader_mutex, tree_mutex;
  std::map<int64_t, store::HeapProcess> heap_processes;  // captures without heap tables have none
  if (auto heap = store::read_heap_processes(reader); heap.is_ok())
    for (const auto& hp : *heap) heap_processes[hp.process_id] = hp;
  ProcessContext ctx{&meta,         &iv,       &params,     &o.series,           &reader,
                     &reader_mutex, &tree_acc, &tree_mutex, &heap_processes};
  std::vector<ProcessOutcome> outcomes(jobs.size());
  std::vector<Status> errors(2);
  std::atomic<size_t> next{0};
  auto worker = [&](size_t w) {
    auto db = store::Database::open(reader.db().path(), SQLITE_OPEN_READONLY);
    if (!db.is_ok()) {
      errors[w] = db.status();
      return;
    }
    for (size_t j = next++; j < jobs.size(); j = next++) {
      Status st = analyze_process(*db, ctx, jobs[j], &outcomes[j]);
      if (!st.is_ok()) {
        errors[w] = st;
        return;
      }
    }
  };
  size_t threads = std::min<size_t>(2, std::max<size_t>(1, jobs.size() / 4));
  std::vector<std::thread> pool;
  for (size_t w = 1; w < threads; ++w) pool.emplace_back(worker, w);
  worker(0);
  for (auto& t : pool) t.join();
  for (const auto& e : errors) RETURN_IF_ERROR(e);
  for (size_t j = 0; j < jobs.size(); ++j) {
    ProcessOutcome& out = outcomes[j];
    for (const auto& [label, sec] : out.cpu_by_label) tree_cpu_by_label[label] += sec;
    ProcessData& pd = data[jobs[j].info->id];
    pd.memory = std::move(out.memory);
    pd.growth_series = out.growth_series;
    pd.phase_growth = std::move(out.phase_growth);
    if (out.judged) v.processes.push_back(std::move(out.verdict));
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
      ps.growth.push_back({pv.pid, pv.comm, pd.growth_series, it->second, it->second / ps.duration_s});
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
