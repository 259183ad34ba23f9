// write_report and export_chrome_trace; see report.h.
#include "report/report.h"

#include <chrono>

#include "report/chrome_trace.h"
#include "report/html_report.h"
#include "report/markdown_report.h"
#include "report/output_file.h"
#include "report/redact_capture.h"
#include "report/report_json.h"
#include "report/report_model.h"

namespace leakscope::report {
namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string format_for_path(const std::string& path) {
  if (ends_with(path, ".html") || ends_with(path, ".htm")) return "html";
  if (ends_with(path, ".md") || ends_with(path, ".markdown")) return "md";
  if (ends_with(path, ".json")) return "json";
  return "";
}

Status write_report(const std::string& capture, const ReportOptions& options,
                    ReportResult* result) {
  auto t0 = std::chrono::steady_clock::now();
  if (options.format != "html" && options.format != "md" && options.format != "json")
    return Status(StatusCode::kInvalidArgument, "unknown report format '" + options.format + "'",
                  "", "use --format html, md or json");
  ModelOptions mo;
  mo.redact = options.redact;
  mo.debug_dirs = options.debug_dirs;
  auto model = build_report_model(capture, mo);
  if (!model.is_ok()) return model.status().with_context("building the report of " + capture);
  std::string text;
  if (options.format == "html") text = render_html(*model);
  else if (options.format == "md") text = render_markdown(*model);
  else text = report_to_json(*model).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  ASSIGN_OR_RETURN(OutputFile out, OutputFile::create(options.output));
  RETURN_IF_ERROR(out.write(text));
  RETURN_IF_ERROR(out.commit());
  if (result) *result = {options.output, out.bytes_written(), since(t0)};
  return Status::ok();
}

StatusOr<ReportResult> export_chrome_trace(const std::string& capture, const std::string& output,
                                           bool redact) {
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(store::CaptureReader reader, store::CaptureReader::open(capture));
  Redactor redactor = make_capture_redactor(reader.meta(), redact);
  ASSIGN_OR_RETURN(OutputFile out, OutputFile::create(output));
  RETURN_IF_ERROR(write_chrome_trace(reader, redactor, &out));
  RETURN_IF_ERROR(out.commit());
  return ReportResult{output, out.bytes_written(), since(t0)};
}

}  // namespace leakscope::report
