// The experiment file (TOML, docs/experiment.md): the workload command, what to measure
// (a process by name or role, a series, the sustained window or phase labels), the number
// of repeats and the variants (environment and arguments, a prediction, the control's
// baseline, the components of a combined fix). Parsing is strict: a syntax error names its
// line and column, an unknown key is named (with the closest known key), and every rule
// about variants (one control, known components) is checked before anything runs.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace leakscope::analyze {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// Which process's series a run is measured on.
enum class ProcessRole { kRoot, kLargest, kChild, kName, kTree };

struct MeasureSpec {
  ProcessRole role = ProcessRole::kRoot;
  int child_index = 0;   // kChild: 1-based, children of the root in order of appearance
  std::string name;      // kName: the comm
  std::string series = "anon";
  std::vector<std::string> phases;  // rate during these mark labels; empty: sustained window
  double warmup_s = 0;              // ignore the data before this time (a hint)
  // "root", "largest", "child:2", "tree" or "process 'overlay'", for reports.
  std::string describe() const;
};

// Parses a role ("root", "largest", "tree", "child:N").
StatusOr<MeasureSpec> parse_role(const std::string& role, MeasureSpec base);
// Checks that `series` is one the verdict engine judges for this selection.
Status check_series(const MeasureSpec& m);

struct VariantSpec {
  std::string name;
  std::string description;
  bool control = false;
  EnvList env;                          // on top of the workload's
  std::vector<std::string> args;        // appended to the workload command
  std::optional<double> predicted;      // per second
  std::optional<double> baseline;       // control only: the rate it must reproduce
  std::vector<std::string> components;  // a combined fix: the variants it combines
};

struct WorkloadSpec {
  std::vector<std::string> command;
  EnvList env;
  std::string cwd;           // absolute; default: the experiment file's folder
  double duration_s = 0;     // stop recording (and the workload) after this; 0: at exit
  double timeout_s = 0;      // give up on a run after this; 0: duration + 60 s, or none
  std::string mark_regex;    // phase marks from the workload's stdout
  std::string interval = "100ms";
};

struct ExperimentConfig {
  std::string path;  // as given
  std::string title;
  int repeats = 3;
  WorkloadSpec workload;
  MeasureSpec measure;
  std::vector<VariantSpec> variants;  // in file order; exactly one is the control

  const VariantSpec* find(const std::string& name) const;
  // The command line of one variant (workload command + variant args).
  std::vector<std::string> command_of(const VariantSpec& v) const;
  // "K=V" words of the workload's and the variant's environment.
  std::vector<std::string> env_of(const VariantSpec& v) const;
  // A string that changes whenever what a run of `v` records would change (command,
  // arguments, environment, folder, duration, sampling): finished runs are reused on
  // --resume only when it is the same.
  std::string run_fingerprint(const VariantSpec& v) const;
};

// Parses `text` (the content of `path`); errors name `path` and a line.
StatusOr<ExperimentConfig> parse_experiment(const std::string& text, const std::string& path);
// Reads and parses the file.
StatusOr<ExperimentConfig> load_experiment(const std::string& path);

}  // namespace leakscope::analyze
