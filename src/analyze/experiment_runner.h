// Runs an experiment: the variants interleaved (control, A, B, ..., then the next repeat)
// so that drift of the machine over time hits every variant alike, each run recorded as a
// normal capture in <folder>/runs/, and a manifest (<folder>/manifest.json) rewritten after
// every finished run so an interrupted experiment resumes from the runs it finished.
// Analysis is separate (measure_experiment): it re-reads every capture with the current
// [measure] settings, so predictions, the baseline and what is measured can be changed
// and re-analysed with --resume without recording again.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analyze/experiment_config.h"
#include "analyze/experiment_stats.h"
#include "analyze/run_measure.h"
#include "base/status.h"

namespace leakscope::analyze {

inline constexpr int kManifestVersion = 1;

// One finished run, as the manifest keeps it.
struct RunRecord {
  std::string variant;
  int repeat = 0;            // 1-based
  std::string fingerprint;   // ExperimentConfig::run_fingerprint of its variant
  std::string capture;       // relative to the folder
  std::string log;
  double wall_s = 0;
  bool recorded = false;     // a capture was written
  bool timed_out = false;
  std::string error;         // the recorder's error when not recorded
};

struct Manifest {
  int version = kManifestVersion;
  std::string experiment;  // the experiment file, as given
  std::vector<RunRecord> runs;
  const RunRecord* find(const std::string& variant, int repeat) const;
};

StatusOr<Manifest> load_manifest(const std::string& folder);
Status save_manifest(const std::string& folder, const Manifest& m);

struct ScheduledRun {
  size_t variant = 0;  // index into the config's variants
  int repeat = 0;      // 1-based
};
// repeat 1: every variant in file order (the control first), then repeat 2, ...
std::vector<ScheduledRun> schedule_runs(const ExperimentConfig& cfg);

struct Progress {
  std::string variant;
  int repeat = 0, repeats = 0;
  size_t index = 0, total = 0;  // this run's place among the runs still to do
  double elapsed_s = 0;         // since this invocation started
  double left_s = -1;           // estimated time left; < 0: not known yet
};

struct RunnerOptions {
  std::string folder;
  bool resume = false;
  std::string leakscope_exe;
  std::function<void(const Progress&)> on_progress;
  std::function<bool()> should_stop;
};

struct RunnerOutcome {
  Manifest manifest;
  size_t reused = 0, recorded = 0;
  bool interrupted = false;
};

// Checks the folder (refuses an existing experiment without --resume, or finished runs
// that were recorded with another command or environment), then records what is missing.
StatusOr<RunnerOutcome> run_experiment(const ExperimentConfig& cfg, const RunnerOptions& opts);

// One run's row in the reports.
struct RunRow {
  std::string variant;
  int repeat = 0;
  std::string capture;  // relative to the folder
  bool used = false;    // counted in the statistics
  std::string note;     // why not, or a caveat (exit status, settling)
  Measurement m;
};

struct ExperimentResult {
  std::string folder;
  std::vector<RunRow> runs;  // schedule order; missing runs are left out
  size_t scheduled = 0;
  ExperimentAnalysis analysis;
};

// Measures every finished run of the manifest and compares the variants.
StatusOr<ExperimentResult> measure_experiment(const ExperimentConfig& cfg, const std::string& folder,
                                              const Manifest& manifest);

}  // namespace leakscope::analyze
