// `leakscope export cap.db --format chrome-trace`: the capture in the Chrome Trace Event
// Format, for the Perfetto UI and chrome://tracing. Mapping (docs/report.md): one trace
// process per recorded process (its OS pid; M events process_name, process_labels with the
// command line, process_sort_index in capture order), one counter track per series and
// process (C events: rss, rss_anon, rss_file, rss_shmem, swap, pss, fds, threads, and
// heap_live with --heap data; ts in microseconds since the recording started), and each
// phase mark as a global instant event (ph "i", s "g", cat "phase").
#pragma once

#include "base/status.h"
#include "report/output_file.h"
#include "report/redact.h"
#include "store/capture_reader.h"

namespace leakscope::report {

Status write_chrome_trace(store::CaptureReader& reader, Redactor& redactor, OutputFile* out);

}  // namespace leakscope::report
