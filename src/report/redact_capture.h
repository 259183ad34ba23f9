// The Redactor for one capture, primed in a fixed walk over the capture's strings so that
// every output of the same capture numbers its placeholders the same way; and the verdict
// passed through it (process names and command lines, evidence sentences, notes), so
// that the report formats and `analyze` can share one redaction path.
#pragma once

#include "analyze/verdict.h"
#include "report/redact.h"
#include "store/capture_reader.h"

namespace leakscope::report {

// Host names: the capture's and this machine's. User names: this machine's user and the
// owners of the capture's processes (uid >= 1000, looked up here). Then, in order: the
// run's command, argv and folder, each image's path and command line, marks and notes.
Redactor make_capture_redactor(const store::CaptureMeta& meta, bool enabled);

void redact_verdict(analyze::Verdict* verdict, Redactor& redactor);

}  // namespace leakscope::report
