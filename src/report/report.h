// The public entry points of src/report: `leakscope report` (HTML, Markdown or JSON) and
// the chrome-trace export, each from a capture path to an output path ("-" = stdout).
// `leakscope run --report FILE` calls write_report after the recording.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace leakscope::report {

struct ReportOptions {
  std::string format = "html";  // "html", "md" or "json"
  std::string output = "-";     // file, or "-" for stdout
  bool redact = false;          // replace identities (secrets are masked regardless)
  std::vector<std::string> debug_dirs;  // extra folders for separate debug files
};

struct ReportResult {
  std::string output;
  size_t bytes = 0;
  double seconds = 0;  // wall time to build and write it
};

// "html" for report.html, "md" for notes.md / .markdown, "json" for .json, else "".
std::string format_for_path(const std::string& path);

// Builds the report of `capture` and writes it to options.output; `result` (optional)
// receives where it went, its size and how long it took.
Status write_report(const std::string& capture, const ReportOptions& options,
                    ReportResult* result = nullptr);

StatusOr<ReportResult> export_chrome_trace(const std::string& capture, const std::string& output,
                                           bool redact);

}  // namespace leakscope::report
