// What a report shows, built once from a capture and rendered as HTML (with charts and
// flame graphs) or Markdown: the verdict and its evidence sentences, the process tree with
// each process's state and peak/final memory, per-process series thinned for drawing with
// the phases, the end of warm-up and the fitted sustained slope, heap sites and flame
// graphs when the capture has heap data, the run's facts and read costs, and the list of
// what this capture cannot show. Every string that comes from the capture has been through
// the Redactor (secrets always masked; identities replaced with --redact), so renderers
// never see an original.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "analyze/verdict.h"
#include "base/status.h"

namespace leakscope::report {

struct ModelOptions {
  bool redact = false;
  size_t max_points = 2000;       // per series and chart, for drawing
  size_t point_budget = 1200000;  // all charts together; large captures get fewer per series
  size_t site_series = 40;        // sites per process whose live-bytes series is embedded
  size_t max_sites = 200;         // sites per process listed at all (the rest are counted;
                                  // `leakscope sites` lists them all)
  std::vector<std::string> debug_dirs;  // extra folders for separate debug files
};

// A series of a chart and what the verdict says about it.
struct ChartLine {
  std::string name;    // "anon", "file", "shmem", "swap", "total", "fds", "threads"
  std::string source;  // "RssAnon", "Pss", ...
  std::string state;   // verdict state name; "" when the verdict did not judge it
  double rate = 0, ci_lo = 0, ci_hi = 0;  // per second
  double window_t0 = NAN, window_t1 = NAN;
  double warmup_end = NAN;
  // The fitted sustained slope over the window, as a segment (NaN: none).
  double fit_t0 = NAN, fit_v0 = NAN, fit_t1 = NAN, fit_v1 = NAN;
};

struct Chart {
  std::string id;  // "memory", "fds", "threads"
  std::string title;
  bool bytes = true;
  bool thinned = false;
  size_t original_points = 0;
  std::vector<double> t;
  std::vector<ChartLine> lines;
  std::vector<std::vector<double>> values;  // per line, aligned with t; NaN = no value
};

struct ProcessReport {
  int64_t process_id = 0;
  int32_t pid = 0;
  int64_t parent_id = -1;
  int depth = 0;  // in the tree, for indentation
  std::string comm, cmdline, exe, end_state;
  double first_seen_s = 0, last_seen_s = 0;
  int64_t exit_code = -1, exit_signal = -1;
  bool judged = false;
  std::string state;     // the verdict's most serious state, or "not judged"
  std::string finding;   // one line: the growing series with rate and interval, or ""
  std::string growth_class;
  bool allocator_retention = false;
  double residence_share = 0;  // of the tree's growth, 0..1
  std::string memory_source;   // "Pss" or "Rss"
  double peak_memory = NAN, final_memory = NAN;
  double peak_fds = NAN, final_fds = NAN, peak_threads = NAN, final_threads = NAN;
  double read_us_mean = NAN;  // cheap-tier read cost per tick
  std::vector<Chart> charts;
};

struct PhaseBand {
  std::string label;
  double t0 = 0, t1 = 0;
};

struct MarkPoint {
  double t = 0;
  std::string label, source, text;
};

struct SiteFrame {
  std::string function, where, module;
  bool inlined = false;
};

struct SiteReport {
  size_t rank = 0;
  std::string key;
  bool growing = false;
  double rate = 0, ci_lo = 0, ci_hi = 0, p = 1;  // live bytes per second in the window
  int64_t live_bytes = 0, unfreed_bytes = 0, alloc_bytes = 0, peak_bytes = 0;
  int64_t window_growth = 0;
  double short_lived = 0;  // fraction of blocks freed soon after allocation
  std::vector<SiteFrame> frames;  // innermost first
  std::vector<double> t, live;    // the site's live bytes over time (thinned), or empty
};

// A flame graph: children merged by frame, outermost at the root.
struct FlameNode {
  std::string name, where;
  int64_t value = 0;
  std::vector<FlameNode> children;
};

struct HeapReport {
  int64_t process_id = 0;
  int32_t pid = 0;
  std::string comm, mode, status, unwinder;
  bool estimated = false;
  int64_t sample_interval = 0, events = 0, lost_events = 0;
  double window_t0 = 0, window_t1 = 0;
  std::string window_source;
  bool unfreed_at_exit = true;
  size_t total_sites = 0;  // before the max_sites cap
  std::vector<SiteReport> sites;
  FlameNode growth_flame;   // sustained live-heap growth per stack in the window
  FlameNode unfreed_flame;  // bytes never freed at exit (or at the end of the recording)
};

struct Fact {
  std::string name, value;
};

struct ReportModel {
  std::string capture_name;  // file name only
  std::string leakscope_version;
  bool redacted = false;
  std::string redaction_summary;  // what was replaced, as counts
  std::string verdict_kind;       // "growth", "none" or "undecided"
  std::vector<std::string> headline;
  analyze::Verdict verdict;       // strings redacted
  double duration_s = 0;
  std::vector<ProcessReport> processes;  // depth-first tree order
  std::vector<PhaseBand> phases;
  std::vector<MarkPoint> marks;
  std::vector<Fact> facts;    // command, kernel, options, sampling rates
  std::vector<Fact> sources;  // which data source each series used
  std::vector<Fact> costs;    // what the reads cost
  std::vector<std::string> cannot_show;
  std::vector<HeapReport> heap;
  std::vector<std::string> reproduce;  // command lines
  std::string symbol_note;  // problems while symbolising heap stacks, if any
};

StatusOr<ReportModel> build_report_model(const std::string& capture_path,
                                         const ModelOptions& options);

}  // namespace leakscope::report
