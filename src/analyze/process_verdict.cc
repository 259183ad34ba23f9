// Per-process analysis; see process_verdict.h.
#include "analyze/process_verdict.h"

#include <algorithm>

#include "analyze/memory_class.h"
#include "store/heap_reader.h"
#include "store/series_reader.h"

namespace leakscope::analyze {
namespace {

bool wanted(const std::vector<std::string>* names, const std::string& name) {
  return !names || names->empty() || std::find(names->begin(), names->end(), name) != names->end();
}

// Thins a series to at most `n` points (residence only needs slopes).
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

ClassInputs class_inputs(const ProcessContext& ctx, const store::ProcessInfo& p, int64_t at_ms,
                         const store::SampleColumns& cols, Series* heap, Series* vm_data) {
  ClassInputs ci;
  {
    std::lock_guard<std::mutex> lock(*ctx.reader_mutex);
    // Only a process whose allocator was interposed has live-heap data: the rows of one
    // that was not (a static binary, its own malloc) are zeros, not a flat heap.
    const store::HeapProcess* tracked = nullptr;
    if (ctx.heap_processes != nullptr) {
      auto it = ctx.heap_processes->find(p.id);
      if (it != ctx.heap_processes->end() && !store::never_interposed(it->second.status))
        tracked = &it->second;
    }
    if (tracked != nullptr) {
      if (tracked->mode == "sampled") ci.heap_sample_interval = tracked->sample_interval;
      auto totals = store::read_heap_totals(*ctx.reader, p.id);
      if (totals.is_ok()) {
        heap->name = "live_heap";
        heap->source = "heap tracker live bytes";
        for (const auto& h : *totals)
          if (h.t_ms <= at_ms) {
            heap->t.push_back(static_cast<double>(h.t_ms) / 1000.0);
            heap->v.push_back(
                static_cast<double>(h.live_bytes + std::max<int64_t>(0, h.mmap_live_bytes)));
          }
      }
    }
    auto maps = ctx.reader->maps_summaries(p.id);
    if (maps.is_ok())
      for (const auto& m : *maps)
        if (m.t_ms <= at_ms) ci.maps.push_back(m);
  }
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols.vm_data[i] >= 0) {
      vm_data->t.push_back(static_cast<double>(cols.t_ms[i]) / 1000.0);
      vm_data->v.push_back(static_cast<double>(cols.vm_data[i]));
    }
  ci.live_heap = heap;
  ci.vm_data = vm_data;
  return ci;
}

// Keeps the rows before `until_ms`, unless fewer than `min_rows` would be left.
template <typename Columns>
void keep_before(Columns* c, int64_t until_ms, size_t min_rows) {
  size_t n = 0;
  while (n < c->t_ms.size() && c->t_ms[n] < until_ms) ++n;
  if (n >= min_rows) c->truncate(n);
}

}  // namespace

Status analyze_process(store::Database& db, const ProcessContext& ctx, const ProcessJob& job,
                       ProcessOutcome* out) {
  const store::ProcessInfo& p = *job.info;
  const store::CaptureMeta& meta = *ctx.meta;
  ASSIGN_OR_RETURN(auto cols, store::read_sample_columns(db, p.id, job.at_ms));
  ASSIGN_OR_RETURN(auto det, store::read_detail_columns(db, p.id, job.at_ms));
  bool exited = p.exit_ms >= 0 && p.exit_ms <= job.at_ms;
  {
    std::lock_guard<std::mutex> lock(*ctx.tree_mutex);
    ctx.tree->add(cols, det, exited ? static_cast<double>(p.exit_ms) / 1000.0 : -1);
  }
  out->cpu_by_label = cpu_by_label(cols.t_ms, cols.cpu_ms, *ctx.phases);
  out->memory = thin(process_memory_series(cols, det), 2000);
  if (!job.judge) return Status::ok();
  out->judged = true;

  ProcessVerdict& pv = out->verdict;
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
  pv.last_seen_s =
      cols.t_ms.empty() ? pv.first_seen_s : static_cast<double>(cols.t_ms.back()) / 1000.0;
  if (!cols.cpu_ms.empty() && cols.cpu_ms.back() >= 0 && cols.cpu_ms.front() >= 0) {
    double span = pv.last_seen_s - static_cast<double>(cols.t_ms.front()) / 1000.0;
    if (span > 0)
      pv.cpu_pct = 100.0 * static_cast<double>(cols.cpu_ms.back() - cols.cpu_ms.front()) / 1000.0 / span;
  }
  // An exited process is judged on its running life: its last tick may have caught its
  // exit handlers and destructors freeing memory, a drop that is not a change of regime
  // (the recorder sees an exit up to a tick late; the tree and `sites` cut the same way).
  int64_t judge_until_ms = job.at_ms + 1;
  if (exited) {
    judge_until_ms = p.exit_ms - meta.run.tick_ms;
    keep_before(&cols, judge_until_ms, 3);
    keep_before(&det, judge_until_ms, 3);
  }
  std::vector<Series> series = process_series(cols, det);
  for (const Series& s : series)
    if (wanted(ctx.series_filter, s.name))
      pv.series.push_back({evaluate_series(s, *ctx.params), std::nullopt});
  pv.state = State::kNoGrowth;
  for (const auto& sv : pv.series)
    if (state_severity(sv.r.state) > state_severity(pv.state)) pv.state = sv.r.state;

  Series heap, vm_data;
  ClassInputs ci = class_inputs(ctx, p, std::min(job.at_ms, judge_until_ms - 1), cols, &heap,
                                &vm_data);
  pv.memory_class = classify_growth(pv, ci);

  // Phases and busy/idle look at the fastest growing series, else at anon.
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
    out->growth_series = focus->name;
    out->phase_growth = growth_by_label(*focus, *ctx.phases);
    pv.busy_idle = busy_idle_split(*focus, cols.t_ms, cols.cpu_ms);
    pv.busy_idle_series = focus->name;
  }
  return Status::ok();
}

}  // namespace leakscope::analyze
