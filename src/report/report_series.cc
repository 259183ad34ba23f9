// Per-process charts for the report: memory by class (private anonymous, file-backed,
// shared memory, swap, and the process total as PSS, else RSS), fds and threads, thinned
// for drawing; each line carries the verdict's window, warm-up end and fitted slope.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "analyze/series_extract.h"
#include "report/downsample.h"
#include "report/report_build.h"
#include "store/series_reader.h"

namespace leakscope::report {
namespace {

// The fitted line's level: Theil–Sen's intercept is the median of v - rate*t over the
// window (the lower decile when the verdict trended the lower envelope of a sawtooth).
void fit_segment(const analyze::Series& s, const analyze::SeriesResult& r, ChartLine* line) {
  if (r.bins == 0 || !(r.window_t1 > r.window_t0)) return;
  std::vector<double> resid;
  size_t in_window = 0;
  for (double t : s.t) in_window += t >= r.window_t0 && t <= r.window_t1;
  size_t stride = std::max<size_t>(1, in_window / 4000);
  size_t k = 0;
  for (size_t i = 0; i < s.t.size(); ++i) {
    if (s.t[i] < r.window_t0 || s.t[i] > r.window_t1) continue;
    if (k++ % stride == 0) resid.push_back(s.v[i] - r.rate * s.t[i]);
  }
  if (resid.empty()) return;
  size_t q = r.envelope ? resid.size() / 10 : resid.size() / 2;
  std::nth_element(resid.begin(), resid.begin() + static_cast<ptrdiff_t>(q), resid.end());
  double icpt = resid[q];
  line->fit_t0 = r.window_t0;
  line->fit_t1 = r.window_t1;
  line->fit_v0 = icpt + r.rate * r.window_t0;
  line->fit_v1 = icpt + r.rate * r.window_t1;
}

ChartLine make_line(const analyze::Series& s, const analyze::ProcessVerdict* verdict) {
  ChartLine line;
  line.name = s.name;
  line.source = s.source;
  const analyze::SeriesVerdict* sv = verdict ? verdict->find(s.name) : nullptr;
  if (!sv) return line;
  const analyze::SeriesResult& r = sv->r;
  line.state = analyze::state_name(r.state);
  line.rate = r.rate;
  line.ci_lo = r.ci_lo;
  line.ci_hi = r.ci_hi;
  if (r.bins > 0) {
    line.window_t0 = r.window_t0;
    line.window_t1 = r.window_t1;
  }
  line.warmup_end = r.warmup_end;
  fit_segment(s, r, &line);
  return line;
}

Chart make_chart(const char* id, const char* title, bool bytes,
                 const std::vector<const analyze::Series*>& series,
                 const analyze::ProcessVerdict* verdict, size_t max_points) {
  Chart c;
  c.id = id;
  c.title = title;
  c.bytes = bytes;
  for (const auto* s : series) {
    c.lines.push_back(make_line(*s, verdict));
    c.original_points = std::max(c.original_points, s->size());
  }
  AlignedSeries a = align_min_max(series, max_points);
  c.t = std::move(a.t);
  c.values = std::move(a.values);
  c.thinned = a.thinned;
  return c;
}

void peak_final(const analyze::Series& s, double* peak, double* final_value) {
  if (s.empty()) return;
  *peak = *std::max_element(s.v.begin(), s.v.end());
  *final_value = s.v.back();
}

}  // namespace

Status add_process_charts(store::Database& db, const analyze::ProcessVerdict* verdict,
                          size_t max_points, ProcessReport* out) {
  ASSIGN_OR_RETURN(auto cols, store::read_sample_columns(db, out->process_id, INT64_MAX));
  ASSIGN_OR_RETURN(auto det, store::read_detail_columns(db, out->process_id, INT64_MAX));
  std::vector<analyze::Series> series = analyze::process_series(cols, det);
  analyze::Series total = analyze::process_memory_series(cols, det);
  total.name = "total";
  out->memory_source = total.source;
  peak_final(total, &out->peak_memory, &out->final_memory);

  std::vector<const analyze::Series*> memory;
  if (!total.empty()) memory.push_back(&total);
  const analyze::Series *fds = nullptr, *threads = nullptr;
  for (const auto& s : series) {
    if (s.name == "fds") fds = &s;
    else if (s.name == "threads") threads = &s;
    else if (s.name != "swap" || std::any_of(s.v.begin(), s.v.end(), [](double v) { return v > 0; }))
      memory.push_back(&s);
  }
  if (!memory.empty())
    out->charts.push_back(make_chart("memory", "memory by class", true, memory, verdict, max_points));
  if (fds) {
    peak_final(*fds, &out->peak_fds, &out->final_fds);
    out->charts.push_back(make_chart("fds", "open file descriptors", false, {fds}, verdict, max_points));
  }
  if (threads) {
    peak_final(*threads, &out->peak_threads, &out->final_threads);
    out->charts.push_back(make_chart("threads", "threads", false, {threads}, verdict, max_points));
  }
  return Status::ok();
}

Status add_all_process_charts(const std::string& capture_path,
                              const std::map<int64_t, const analyze::ProcessVerdict*>& verdicts,
                              size_t max_points, std::vector<ProcessReport>* processes) {
  std::atomic<size_t> next{0};
  std::vector<Status> errors(2);
  auto worker = [&](size_t w) {
    auto db = store::Database::open(capture_path, SQLITE_OPEN_READONLY);
    if (!db.is_ok()) {
      errors[w] = db.status();
      return;
    }
    for (size_t j = next++; j < processes->size(); j = next++) {
      ProcessReport& p = (*processes)[j];
      auto it = verdicts.find(p.process_id);
      Status st = add_process_charts(*db, it == verdicts.end() ? nullptr : it->second, max_points, &p);
      if (!st.is_ok()) {
        errors[w] = st;
        return;
      }
    }
  };
  std::thread second;
  if (processes->size() >= 8) second = std::thread(worker, 1);
  worker(0);
  if (second.joinable()) second.join();
  for (const auto& e : errors) RETURN_IF_ERROR(e);
  return Status::ok();
}

}  // namespace leakscope::report
