// Shared recording flags; see record_options.h.
#include "cli/record_options.h"

#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "analyze/summary.h"
#include "analyze/verdict.h"
#include "report/report.h"
#include "store/capture_reader.h"
#include "base/time_util.h"

namespace leakscope::cli {

void add_record_flags(CLI::App* cmd, RecordFlags* f) {
  cmd->add_option("-o,--output", f->output, "Capture file to write (SQLite)");
  cmd->add_option("--interval", f->interval,
                  "Cheap-tier sampling period (stat/status/fd count), e.g. 100ms")
      ->capture_default_str();
  cmd->add_option("--detail-interval", f->detail_interval,
                  "Shortest period of the detailed tier (smaps_rollup); it adapts to its cost")
      ->capture_default_str();
  cmd->add_flag("--no-detail", f->no_detail, "Do not read smaps_rollup (no PSS)");
  cmd->add_option("--duration", f->duration, "Stop after this long, e.g. 10m (default: until exit)");
  cmd->add_flag("--no-status", f->no_status, "No live status line on stderr");
  cmd->add_flag("--summary", f->summary, "Print a per-process summary at the end");
  cmd->add_flag("--analyze", f->analyze,
                "Print the verdict (as `leakscope analyze`) on stderr at the end");
  cmd->add_option("--report", f->report,
                  "Write the report (as `leakscope report`) to this file at the end: HTML, or "
                  "Markdown when it ends in .md");
  cmd->add_flag("-q,--quiet", f->quiet, "Print nothing of our own but errors");
}

StatusOr<collect::RecordOptions> make_record_options(const RecordFlags& f,
                                                     const std::string& default_output) {
  collect::RecordOptions o;
  o.output = f.output.empty() ? default_output : f.output;
  int64_t ns = 0;
  if (!parse_duration_ns(f.interval, &ns) || ns < 10 * 1000000LL)
    return Status(StatusCode::kInvalidArgument, "bad --interval '" + f.interval + "'",
                  "not a duration of at least 10ms", "use e.g. --interval 100ms");
  o.sampling.tick_ms = ns / 1000000;
  if (!parse_duration_ns(f.detail_interval, &ns) || ns < 10 * 1000000LL)
    return Status(StatusCode::kInvalidArgument, "bad --detail-interval '" + f.detail_interval + "'",
                  "not a duration of at least 10ms", "use e.g. --detail-interval 1s");
  o.sampling.detail_min_ms = std::max<int64_t>(ns / 1000000, o.sampling.tick_ms);
  o.sampling.detail_enabled = !f.no_detail;
  if (!f.duration.empty()) {
    if (!parse_duration_ns(f.duration, &o.duration_ns) || o.duration_ns <= 0)
      return Status(StatusCode::kInvalidArgument, "bad --duration '" + f.duration + "'",
                    "not a positive duration", "use e.g. --duration 10m or 90s");
  }
  o.live_status = !f.no_status && !f.quiet && ::isatty(STDERR_FILENO);
  nlohmann::json j = {{"interval_ms", o.sampling.tick_ms},
                      {"detail_min_ms", o.sampling.detail_min_ms},
                      {"detail_enabled", o.sampling.detail_enabled},
                      {"detail_cpu_budget", o.sampling.detail_cpu_budget},
                      {"duration_ns", o.duration_ns}};
  o.options_json = j.dump();
  return o;
}

void print_recording_footer(const collect::RecordResult& r, const RecordFlags& f) {
  if (!f.quiet)
    std::fprintf(stderr, "leakscope: recorded %zu process%s for %.1f s into %s%s\n",
                 r.processes, r.processes == 1 ? "" : "es",
                 static_cast<double>(r.duration_ms) / 1000.0, r.output.c_str(),
                 r.interrupted ? " (interrupted)" : "");
  if (f.summary && !f.quiet) {
    auto text = analyze::summarize_capture_text(r.output);
    if (text.is_ok()) std::fputs(text->c_str(), stderr);
    else print_error(text.status());
  }
  if (f.analyze) {
    // On stderr: the target's stdout stays exactly what the target wrote.
    auto reader = store::CaptureReader::open(r.output);
    if (!reader.is_ok()) {
      print_error(reader.status());
      return;
    }
    analyze::AnalyzeOptions options;
    options.capture_path = r.output;
    auto verdict = analyze::analyze_capture(*reader, options);
    if (!verdict.is_ok()) {
      print_error(verdict.status());
      return;
    }
    std::fputs("\n", stderr);
    std::fputs(analyze::render_verdict_text(*verdict).c_str(), stderr);
  }
  if (!f.report.empty()) {
    report::ReportOptions o;
    o.format = report::format_for_path(f.report);
    if (o.format.empty()) o.format = "html";
    o.output = f.report;
    report::ReportResult written;
    Status s = report::write_report(r.output, o, &written);
    if (!s.is_ok()) print_error(s);
    else if (!f.quiet)
      std::fprintf(stderr, "leakscope: report: %s (%s, %s)\n", o.output.c_str(), o.format.c_str(),
                   format_bytes(static_cast<double>(written.bytes)).c_str());
  }
}

}  // namespace leakscope::cli
