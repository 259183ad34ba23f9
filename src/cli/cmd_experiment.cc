// `leakscope experiment fix.toml [-o folder] [--resume]`: runs the variants of a fix
// experiment interleaved, each recorded as a normal capture, shows progress on stderr and
// writes experiment.md, experiment.html and experiment.json into the folder. Ctrl-C stops
// after removing the run in progress; --resume continues from the finished runs (and
// re-analyses them, so predictions and [measure] may change between invocations).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "analyze/experiment_runner.h"
#include "analyze/run_recording.h"
#include "cli/cli_common.h"
#include "report/experiment_report.h"

namespace leakscope::cli {
namespace {

constexpr int kExitInterrupted = 130;

struct ExperimentFlags {
  std::string file;
  std::string output;
  bool resume = false;
};

std::string clock_text(double s) {
  if (s < 0) return "?";
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof(buf), "%ld:%02ld", t / 60, t % 60);
  return buf;
}

Status write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "we");
  if (!f) return errno_status(errno, "cannot write " + path);
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return errno_status(errno, "cannot write " + path);
  return Status::ok();
}

void show_progress(const analyze::Progress& p) {
  std::string left = p.left_s < 0 ? "time left not known yet" : "about " + clock_text(p.left_s) + " left";
  std::fprintf(stderr, "leakscope experiment: run %zu of %zu: %s, repeat %d of %d; elapsed %s, %s\n",
               p.index, p.total, p.variant.c_str(), p.repeat, p.repeats, clock_text(p.elapsed_s).c_str(),
               left.c_str());
}

int experiment_command(const ExperimentFlags& f) {
  auto cfg = analyze::load_experiment(f.file);
  if (!cfg.is_ok()) return fail(cfg.status());
  std::string folder = f.output;
  if (folder.empty()) folder = std::filesystem::path(f.file).stem().string() + "-experiment";
  auto exe = analyze::self_exe();
  if (!exe.is_ok()) return fail(exe.status());
  analyze::catch_stop_signals();
  analyze::RunnerOptions opts;
  opts.folder = folder;
  opts.resume = f.resume;
  opts.leakscope_exe = *exe;
  opts.on_progress = show_progress;
  opts.should_stop = analyze::stop_requested;
  auto outcome = analyze::run_experiment(*cfg, opts);
  if (!outcome.is_ok()) return fail(outcome.status());
  if (outcome->reused > 0)
    std::fprintf(stderr, "leakscope experiment: reused %zu finished run%s from %s\n", outcome->reused,
                 outcome->reused == 1 ? "" : "s", folder.c_str());
  auto result = analyze::measure_experiment(*cfg, folder, outcome->manifest);
  if (!result.is_ok()) return fail(result.status());
  report::ExperimentView view{&*cfg, &*result};
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"experiment.md", report::render_experiment_markdown(view)},
        {"experiment.html", report::render_experiment_html(view)},
        {"experiment.json", report::experiment_to_json(view).dump(2) + "\n"}}) {
    Status s = write_text(folder + "/" + name, text);
    if (!s.is_ok()) return fail(s);
  }
  for (const auto& line : report::conclusion_lines(view)) std::printf("%s\n", line.c_str());
  std::printf("Report: %s/experiment.md, %s/experiment.html\n", folder.c_str(), folder.c_str());
  std::fflush(stdout);
  if (outcome->interrupted) {
    std::fprintf(stderr,
                 "leakscope experiment: interrupted; %zu of %zu runs are finished, continue with "
                 "`leakscope experiment %s -o %s --resume`\n",
                 result->runs.size(), result->scheduled, f.file.c_str(), folder.c_str());
    return kExitInterrupted;
  }
  return 0;
}

}  // namespace

void add_experiment_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<ExperimentFlags>();
  CLI::App* cmd = app.add_subcommand(
      "experiment", "Measure a fix: variants against a control, repeated and interleaved (docs/experiment.md)");
  cmd->add_option("file", flags->file, "Experiment file (TOML)")->required();
  cmd->add_option("-o,--output", flags->output,
                  "Folder for the captures and reports (default: <file name>-experiment)");
  cmd->add_flag("--resume", flags->resume, "Continue an interrupted experiment from its finished runs");
  cmd->callback([flags, action] { *action = [flags] { return experiment_command(*flags); }; });
}

}  // namespace leakscope::cli
