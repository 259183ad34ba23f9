// `leakscope triage PID [--json]`: one look at a running process, the facts a person
// gathers first before recording anything (identity, allocator, memory by class, largest
// mappings, fds by type, limits) and the interpretations those facts support.
#include <cstdio>

#include "analyze/triage.h"
#include "analyze/triage_render.h"
#include "base/strings.h"
#include "cli/cli_common.h"

namespace leakscope::cli {
namespace {

struct TriageFlags {
  std::string pid;
  bool json = false;
};

int triage_command(const TriageFlags& f) {
  uint64_t pid = 0;
  // The kernel's pid_max limit is 2^22; anything else is not a pid this machine can have.
  if (!parse_u64(f.pid, &pid) || std::to_string(pid) != f.pid || pid == 0 || pid > (1u << 22))
    return fail(Status(StatusCode::kInvalidArgument, "bad pid '" + f.pid + "'", "not a process id",
                       "give a number from `ps -e`"));
  auto report = analyze::triage_process(static_cast<pid_t>(pid));
  if (!report.is_ok()) return fail(report.status());
  std::string out = f.json ? analyze::triage_to_json(*report).dump(2) + "\n"
                           : analyze::render_triage_text(*report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void add_triage_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<TriageFlags>();
  CLI::App* cmd = app.add_subcommand(
      "triage", "Print the first facts about a running process: binary, allocator, memory, fds");
  cmd->add_option("pid", flags->pid, "Process id")->required();
  cmd->add_flag("--json", flags->json, "Emit JSON (fields in docs/triage.md)");
  cmd->callback([flags, action] { *action = [flags] { return triage_command(*flags); }; });
}

}  // namespace leakscope::cli
