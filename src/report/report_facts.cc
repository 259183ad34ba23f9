// The run's facts for the report: what was recorded and how (command, kernel, options,
// sampling rates), which data source each series used, what the reads cost (from the
// recorder's own once-a-second stats and each row's read time), and the command lines
// that reproduce the measurement.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/time_util.h"
#include "report/report_build.h"

namespace leakscope::report {
namespace {

std::string ms_text(int64_t ms) {
  return ms % 1000 == 0 ? fmt::format("{} s", ms / 1000) : fmt::format("{} ms", ms);
}

std::string file_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The `leakscope run` flags that the recorded options correspond to.
std::string record_flags(const store::RunInfo& run) {
  std::string flags = fmt::format(" --interval {}ms", run.tick_ms);
  nlohmann::json j = nlohmann::json::parse(run.options_json, nullptr, false);
  bool detail = !j.is_object() || j.value("detail_enabled", true);
  if (detail) flags += fmt::format(" --detail-interval {}ms", run.detail_min_ms);
  else flags += " --no-detail";
  if (j.is_object()) {
    int64_t duration_ns = j.value("duration_ns", int64_t{0});
    if (duration_ns > 0) flags += fmt::format(" --duration {}ms", duration_ns / 1000000);
    if (j.contains("heap") && j["heap"].is_string()) {
      int64_t interval = j.value("heap_sample_interval", int64_t{0});
      flags += interval > 0 ? fmt::format(" --heap=sample:{}", interval) : " --heap";
    }
  }
  return flags;
}

}  // namespace

Status add_run_facts(store::CaptureReader& reader, const std::string& capture_path,
                     Redactor& redactor, ReportModel* m) {
  const store::CaptureMeta& meta = reader.meta();
  const store::RunInfo& run = meta.run;
  auto fact = [&](std::vector<Fact>* to, std::string name, std::string value) {
    to->push_back({std::move(name), std::move(value)});
  };
  std::string command = shell_join(redactor.apply_argv(run.argv));
  fact(&m->facts, "command", run.mode == "attach" ? redactor.apply(run.command) : command);
  fact(&m->facts, "mode", run.mode);
  fact(&m->facts, "working folder", redactor.apply(run.cwd));
  fact(&m->facts, "host", redactor.apply(run.host));
  fact(&m->facts, "kernel", redactor.apply(run.kernel));
  fact(&m->facts, "recorded by", "leakscope " + run.leakscope_version);
  fact(&m->facts, "started", format_utc(run.start_unix_ns));
  fact(&m->facts, "duration", fmt::format("{:.1f} s{}", m->duration_s,
                                          run.end_ms < 0 ? " (recording did not finish)" : ""));
  if (run.exit_code >= 0) fact(&m->facts, "exit status", std::to_string(run.exit_code));
  if (run.exit_signal >= 0) fact(&m->facts, "killed by signal", std::to_string(run.exit_signal));
  fact(&m->facts, "processes", std::to_string(meta.processes.size()));
  fact(&m->facts, "marks", std::to_string(meta.marks.size()));
  fact(&m->facts, "sampling",
       fmt::format("statm/stat every {}, status and fd count every 5th tick; "
                   "smaps_rollup (PSS) at most every {}, slower when it is costly",
                   ms_text(run.tick_ms), ms_text(run.detail_min_ms)));
  fact(&m->facts, "options", redactor.apply(run.options_json));
  if (run.mem_total > 0) fact(&m->facts, "MemTotal", format_bytes(static_cast<double>(run.mem_total)));
  if (run.cgroup_mem_max > 0)
    fact(&m->facts, "cgroup memory.max", format_bytes(static_cast<double>(run.cgroup_mem_max)));
  if (run.nofile_limit > 0) fact(&m->facts, "RLIMIT_NOFILE", std::to_string(run.nofile_limit));

  // Sources: the series the verdict judged, per name, and the capture's column notes.
  std::map<std::string, std::map<std::string, int>> used;
  for (const auto& p : m->verdict.processes)
    for (const auto& sv : p.series) ++used[sv.r.name][sv.r.source];
  for (const auto& sv : m->verdict.tree.series) ++used["tree " + sv.r.name][sv.r.source];
  for (const auto& [name, sources] : used) {
    std::string text;
    for (const auto& [src, n] : sources)
      text += fmt::format("{}{} ({} series)", text.empty() ? "" : "; ", src, n);
    fact(&m->sources, name, text);
  }
  ASSIGN_OR_RETURN(auto st, reader.db().prepare(
                                "SELECT table_name, column_name, source FROM column_source "
                                "ORDER BY table_name, column_name"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    fact(&m->sources, st.column_text(0) + "." + st.column_text(1), st.column_text(2));
  }

  // Costs: leakscope's own CPU and the time its reads took.
  int64_t cpu = 0, wall = 0, cheap = 0, detail = 0;
  double worst = 0;
  for (const auto& r : meta.recorder_stats) {
    cpu += r.cpu_us;
    wall += r.wall_us;
    cheap += r.cheap_read_us;
    detail += r.detail_read_us;
    if (r.wall_us > 0) worst = std::max(worst, 100.0 * static_cast<double>(r.cpu_us) / static_cast<double>(r.wall_us));
  }
  if (wall > 0) {
    fact(&m->costs, "leakscope CPU",
         fmt::format("{:.2f}% of one core on average, {:.1f}% in the busiest second",
                     100.0 * static_cast<double>(cpu) / static_cast<double>(wall), worst));
    fact(&m->costs, "time in reads",
         fmt::format("{:.1f} ms cheap tier, {:.1f} ms smaps_rollup, over {:.0f} s",
                     static_cast<double>(cheap) / 1000, static_cast<double>(detail) / 1000,
                     static_cast<double>(wall) / 1e6));
  } else {
    fact(&m->costs, "leakscope CPU", "not recorded in this capture");
  }
  // One pass per table: per process, then summed (the sample table is the big one).
  for (const char* table : {"sample", "detail"}) {
    ASSIGN_OR_RETURN(auto q, reader.db().prepare(fmt::format(
                                 "SELECT process_id, COUNT(read_us), SUM(read_us), MAX(read_us) "
                                 "FROM {} WHERE read_us IS NOT NULL GROUP BY process_id",
                                 table)));
    int64_t n = 0, sum = 0, max = 0;
    std::map<int64_t, double> mean;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      n += q.column_int(1);
      sum += q.column_int(2);
      max = std::max(max, q.column_int(3));
      if (q.column_int(1) > 0) mean[q.column_int(0)] = static_cast<double>(q.column_int(2)) / q.column_int(1);
    }
    bool cheap = std::string(table) == "sample";
    if (n > 0)
      fact(&m->costs, cheap ? "one cheap-tier read" : "one smaps_rollup read",
           fmt::format("{:.0f} us on average, {} us at most ({} reads)",
                       static_cast<double>(sum) / static_cast<double>(n), max, n));
    if (cheap)
      for (auto& p : m->processes)
        if (auto it = mean.find(p.process_id); it != mean.end()) p.read_us_mean = it->second;
  }

  // Reproduce.
  std::string cap = redactor.apply(file_name(capture_path));
  if (run.mode == "attach") {
    m->reproduce.push_back("leakscope " + redactor.apply(run.command) + record_flags(run) + " -o " + cap);
  } else {
    bool stdout_marks = false;
    for (const auto& mk : meta.marks) stdout_marks |= mk.source == "stdout";
    if (stdout_marks)
      m->reproduce.push_back("# the marks came from the command's stdout: add the --mark-regex used");
    m->reproduce.push_back("leakscope run" + record_flags(run) + " -o " + cap + " -- " + command);
  }
  m->reproduce.push_back("leakscope analyze " + cap);
  if (!m->heap.empty()) m->reproduce.push_back("leakscope sites " + cap);
  m->reproduce.push_back("leakscope report " + cap + " -o report.html");
  return Status::ok();
}

}  // namespace leakscope::report
