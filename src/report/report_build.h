// The parts of build_report_model (report_model.h), one file per section: per-process
// charts, heap sites and flame graphs, run facts and the list of what the capture cannot
// show. Internal to src/report.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analyze/verdict.h"
#include "report/redact.h"
#include "report/report_model.h"
#include "store/capture_reader.h"

namespace leakscope::report {

// Memory-by-class, fd and thread charts of one process, with the verdict's fitted lines
// (`verdict` may be null), and its peak/final values.
Status add_process_charts(store::Database& db, const analyze::ProcessVerdict* verdict,
                          size_t max_points, ProcessReport* out);
// The same for every process, on two threads with their own read-only connections when
// there are many (reading the series dominates, as in analyze_capture).
Status add_all_process_charts(const std::string& capture_path,
                              const std::map<int64_t, const analyze::ProcessVerdict*>& verdicts,
                              size_t max_points, std::vector<ProcessReport>* processes);

// Heap sites, their live-bytes series and the two flame graphs of every tracked process;
// nothing when the capture has no heap data.
Status add_heap_reports(store::CaptureReader& reader, const std::string& capture_path,
                        const ModelOptions& options, Redactor& redactor, ReportModel* model);

// Facts, sources and read costs of the run; the reproduce command lines.
Status add_run_facts(store::CaptureReader& reader, const std::string& capture_path,
                     Redactor& redactor, ReportModel* model);

// What this capture cannot show: call after the verdict, processes and heap are in.
Status add_cannot_show(store::CaptureReader& reader, Redactor& redactor, ReportModel* model);

}  // namespace leakscope::report
