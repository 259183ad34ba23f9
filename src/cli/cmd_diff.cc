// `leakscope diff base.db candidate.db [--fail-if-worse PERCENT] [--json]`: two captures
// of the same program compared per process and per heap site (analyze/capture_diff.h).
// With --fail-if-worse it exits 3 when a matched process grows significantly faster in
// the candidate and either started leaking or its rate rose by more than PERCENT.
#include <cstdio>
#include <memory>

#include "analyze/capture_diff.h"
#include "cli/cli_common.h"
#include "report/capture_diff_render.h"

namespace leakscope::cli {
namespace {

struct DiffFlags {
  std::string base, candidate;
  std::vector<std::string> series;
  CLI::Option* fail_option = nullptr;
  double fail_pct = 0;
  double alpha = 0.05;
  bool json = false;
};

int diff_command(const DiffFlags& f) {
  static const char* kSeries[] = {"anon", "file", "shmem", "swap", "fds", "threads"};
  for (const auto& s : f.series) {
    bool known = false;
    for (const char* k : kSeries) known = known || s == k;
    if (!known)
      return fail(Status(StatusCode::kInvalidArgument, "unknown --series '" + s + "'",
                         "not a per-process series", "use anon, file, shmem, swap, fds or threads"));
  }
  bool gate = f.fail_option && f.fail_option->count() > 0;
  if (gate && !(f.fail_pct >= 0))
    return fail(Status(StatusCode::kInvalidArgument, "bad --fail-if-worse", "a negative percentage",
                       "e.g. --fail-if-worse 10"));
  if (!(f.alpha > 0 && f.alpha < 0.5))
    return fail(Status(StatusCode::kInvalidArgument, "bad --alpha", "not between 0 and 0.5",
                       "e.g. --alpha 0.05"));
  analyze::DiffOptions o;
  o.series = f.series;
  o.alpha = f.alpha;
  o.fail_if_worse_pct = gate ? f.fail_pct : NAN;
  auto d = analyze::diff_captures(f.base, f.candidate, o);
  if (!d.is_ok()) return fail(d.status());
  if (f.json) std::printf("%s\n", report::diff_to_json(*d).dump(2).c_str());
  else std::fputs(report::render_diff_text(*d, gate).c_str(), stdout);
  std::fflush(stdout);
  return gate && d->any_worse ? kExitGrowthFound : 0;
}

}  // namespace

void add_diff_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<DiffFlags>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Compare two captures of the same program: rates per process and heap site");
  cmd->add_option("base", flags->base, "The capture before (e.g. of the old build)")->required();
  cmd->add_option("candidate", flags->candidate, "The capture after")->required();
  cmd->add_option("--series", flags->series,
                  "Compare this series (repeatable; default: anon and every growing one)");
  flags->fail_option = cmd->add_option(
      "--fail-if-worse", flags->fail_pct,
      "Exit 3 when a process grows significantly faster by more than PERCENT, or starts leaking");
  cmd->add_option("--alpha", flags->alpha, "Significance level of the z test")->capture_default_str();
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->callback([flags, action] { *action = [flags] { return diff_command(*flags); }; });
}

}  // namespace leakscope::cli
