// `leakscope attach PID -o cap.db --duration 10m`: record a running process and its
// descendants. Never signals the target; Ctrl-C stops the recording only.
#include <cstdio>

#include "base/strings.h"
#include "cli/record_options.h"

namespace leakscope::cli {
namespace {

struct AttachFlags {
  RecordFlags record;
  std::string pid;
};

int attach_command(const AttachFlags& flags) {
  uint64_t pid = 0;
  if (!parse_u64(flags.pid, &pid) || std::to_string(pid) != flags.pid || pid == 0 ||
      pid > 4194304)
    return fail(Status(StatusCode::kInvalidArgument, "bad pid '" + flags.pid + "'",
                       "not a process id", "give a number from `ps -e`"));
  auto options = make_record_options(flags.record, "leakscope-" + flags.pid + ".db");
  if (!options.is_ok()) return fail(options.status());
  auto result = collect::record_attached(static_cast<pid_t>(pid), *options);
  if (!result.is_ok()) return fail(result.status());
  print_recording_footer(*result, flags.record);
  return 0;
}

}  // namespace

void add_attach_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<AttachFlags>();
  CLI::App* cmd = app.add_subcommand("attach", "Record a running process and its descendants");
  cmd->add_option("pid", flags->pid, "Process id")->required();
  add_record_flags(cmd, &flags->record);
  cmd->callback([flags, action] { *action = [flags] { return attach_command(*flags); }; });
}

}  // namespace leakscope::cli
