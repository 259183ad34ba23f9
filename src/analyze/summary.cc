// Per-process summary; see summary.h.
#include "analyze/summary.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

namespace leakscope::analyze {

StatusOr<std::vector<ProcessSummary>> summarize_capture(store::CaptureReader& reader) {
  const auto& meta = reader.meta();
  ASSIGN_OR_RETURN(auto samples, reader.all_samples());
  ASSIGN_OR_RETURN(auto details, reader.all_details());
  std::vector<ProcessSummary> out;
  for (const auto& p : meta.processes) {
    ProcessSummary s;
    s.process_id = p.id;
    s.pid = p.pid;
    if (const auto* g = meta.latest_generation(p.id)) {
      s.comm = g->comm;
      s.cmdline = g->cmdline;
    }
    s.end_state = p.end_state;
    const auto& rows = samples[p.id];
    const auto& drows = details[p.id];
    if (rows.empty() && drows.empty()) {
      s.first_ms = p.first_seen_ms;
      s.last_ms = p.exit_ms >= 0 ? p.exit_ms : p.first_seen_ms;
      out.push_back(s);
      continue;
    }
    s.first_ms = rows.empty() ? drows.front().t_ms : rows.front().t_ms;
    s.last_ms = rows.empty() ? drows.back().t_ms : rows.back().t_ms;
    s.has_pss = !drows.empty() && drows.front().pss >= 0;
    if (s.has_pss) {
      s.mem_first = drows.front().pss;
      s.mem_last = drows.back().pss;
      for (const auto& d : drows) s.mem_peak = std::max(s.mem_peak, d.pss);
      int64_t mid_t = (drows.front().t_ms + drows.back().t_ms) / 2;
      for (const auto& d : drows)
        if (d.t_ms <= mid_t) s.mem_mid = d.pss;
      s.second_half_s = (drows.back().t_ms - mid_t) / 1000.0;
      s.anon_first = std::max<int64_t>(0, drows.front().pss_anon);
      s.anon_last = std::max<int64_t>(0, drows.back().pss_anon);
    } else if (!rows.empty()) {
      s.mem_first = std::max<int64_t>(0, rows.front().rss);
      s.mem_last = std::max<int64_t>(0, rows.back().rss);
      for (const auto& r : rows) s.mem_peak = std::max(s.mem_peak, r.rss);
      int64_t mid_t = (rows.front().t_ms + rows.back().t_ms) / 2;
      for (const auto& r : rows)
        if (r.t_ms <= mid_t) s.mem_mid = std::max<int64_t>(0, r.rss);
      s.second_half_s = (rows.back().t_ms - mid_t) / 1000.0;
      s.anon_first = std::max<int64_t>(0, rows.front().rss_anon);
      s.anon_last = std::max<int64_t>(0, rows.back().rss_anon);
    }
    if (!rows.empty()) {
      // fds are read with status, not every tick: the first and last readings.
      for (auto it = rows.begin(); it != rows.end() && s.fds_first < 0; ++it) s.fds_first = it->fds;
      for (auto it = rows.rbegin(); it != rows.rend() && s.fds_last < 0; ++it) s.fds_last = it->fds;
      s.threads_first = rows.front().threads;
      s.threads_last = rows.back().threads;
    }
    out.push_back(s);
  }
  return out;
}

std::string format_summary(const std::vector<ProcessSummary>& rows) {
  auto signed_bytes = [](int64_t v) {
    return (v >= 0 ? "+" : "") + format_bytes(static_cast<double>(v));
  };
  std::string out = fmt::format("{:>7}  {:<16} {:>12}  {:>10} {:>10} {:>10} {:>11} {:>13}  {:>7}  {}\n",
                                "pid", "comm", "seen (s)", "start", "end", "peak", "end-start",
                                "2nd half", "fds", "memory");
  int64_t total_last = 0, total_first = 0;
  for (const auto& r : rows) {
    std::string seen = fmt::format("{:.1f}-{:.1f}", r.first_ms / 1000.0, r.last_ms / 1000.0);
    std::string fds = r.fds_first >= 0 ? fmt::format("{}->{}", r.fds_first, r.fds_last) : "-";
    out += fmt::format("{:>7}  {:<16} {:>12}  {:>10} {:>10} {:>10} {:>11} {:>13}  {:>7}  {}\n",
                       r.pid, r.comm.substr(0, 16), seen,
                       format_bytes(static_cast<double>(r.mem_first)),
                       format_bytes(static_cast<double>(r.mem_last)),
                       format_bytes(static_cast<double>(r.mem_peak)),
                       signed_bytes(r.mem_last - r.mem_first), signed_bytes(r.mem_last - r.mem_mid),
                       fds, r.has_pss ? "PSS" : "RSS");
    total_first += r.mem_first;
    total_last += r.mem_last;
  }
  out += fmt::format("tree: {} processes, PSS at first sight {} -> at end {} (PSS sums without "
                     "double-counting shared pages); \"2nd half\" = growth over the second half "
                     "of each process's observed life, which a start-up warm-up does not reach\n",
                     rows.size(), format_bytes(static_cast<double>(total_first)),
                     format_bytes(static_cast<double>(total_last)));
  return out;
}

StatusOr<std::string> summarize_capture_text(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, store::CaptureReader::open(path));
  ASSIGN_OR_RETURN(auto rows, summarize_capture(reader));
  return format_summary(rows);
}

}  // namespace leakscope::analyze
