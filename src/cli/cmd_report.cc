// `leakscope report cap.db -o report.html`: the report people read and share. HTML (one
// self-contained file with the charts and flame graphs), Markdown for an issue (--format md)
// or the report model as JSON; --redact replaces home folders, user and host names,
// addresses and e-mail addresses (secrets in command lines are masked regardless).
#include <cstdio>
#include <memory>

#include "base/strings.h"
#include "cli/cli_common.h"
#include "report/report.h"

namespace leakscope::cli {
namespace {

struct ReportFlags {
  std::string capture;
  std::string output;
  std::string format;
  bool redact = false;
  std::vector<std::string> debug_dirs;
};

// report.html next to the capture's name in the current folder: cap.db -> cap.html.
std::string default_output(const std::string& capture, const std::string& format) {
  std::string name = capture.substr(capture.rfind('/') + 1);
  size_t dot = name.rfind('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  return name + (format == "md" ? ".md" : format == "json" ? ".json" : ".html");
}

int report_command(const ReportFlags& f) {
  report::ReportOptions o;
  o.format = f.format;
  if (o.format.empty()) o.format = f.output.empty() ? "" : report::format_for_path(f.output);
  if (o.format.empty()) o.format = "html";
  o.output = f.output.empty() ? default_output(f.capture, o.format) : f.output;
  o.redact = f.redact;
  o.debug_dirs = f.debug_dirs;
  report::ReportResult r;
  Status s = report::write_report(f.capture, o, &r);
  if (!s.is_ok()) return fail(s);
  if (o.output != "-")
    std::fprintf(stderr, "leakscope: wrote %s (%s, %s%s) in %.1f s\n", o.output.c_str(),
                 o.format.c_str(), format_bytes(static_cast<double>(r.bytes)).c_str(),
                 o.redact ? ", redacted" : "", r.seconds);
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "report", "A report to read and share: one HTML file with charts, or Markdown for an issue");
  cmd->add_option("capture", flags->capture, "Capture file")->required();
  cmd->add_option("-o,--output", flags->output,
                  "Output file ('-' = stdout; default: the capture's name with .html/.md)");
  cmd->add_option("--format", flags->format, "html, md or json (default: from -o, else html)")
      ->check(CLI::IsMember({"html", "md", "json"}));
  cmd->add_flag("--redact", flags->redact,
                "Replace home folders, user and host names, IP and e-mail addresses with "
                "placeholders (secrets are always masked)");
  cmd->add_option("--debug-dir", flags->debug_dirs,
                  "Extra folder holding .build-id/xx/yyyy.debug files (repeatable)");
  cmd->callback([flags, action] { *action = [flags] { return report_command(*flags); }; });
}

}  // namespace leakscope::cli
