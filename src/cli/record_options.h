// Options shared by `run` and `attach`: sampling rates, duration, output, status line.
#pragma once

#include <string>

#include "cli/cli_common.h"
#include "collect/recorder.h"

namespace leakscope::cli {

struct RecordFlags {
  std::string output;
  std::string interval = "100ms";
  std::string detail_interval = "1s";
  bool no_detail = false;
  std::string duration;
  bool no_status = false;
  bool summary = false;
  bool analyze = false;      // print the verdict after recording
  std::string report;        // write the report (HTML, or Markdown for *.md) after recording
  bool quiet = false;
};

void add_record_flags(CLI::App* cmd, RecordFlags* flags);

// Validates the flags into recorder options; the status names the bad flag.
StatusOr<collect::RecordOptions> make_record_options(const RecordFlags& flags,
                                                     const std::string& default_output);

// After a recording: "leakscope: recorded N processes for T into PATH" (+ the summary, the
// verdict and the report, as asked). Their failures are reported, never the exit status:
// `run` exits with the command's status.
void print_recording_footer(const collect::RecordResult& result, const RecordFlags& flags);

}  // namespace leakscope::cli
