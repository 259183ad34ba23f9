// `leakscope mark LABEL --capture cap.db`: add a phase boundary, now, to a capture that is
// being recorded (from another shell) or to a finished one.
#include <cstdio>

#include "base/time_util.h"
#include "cli/cli_common.h"
#include "store/capture_writer.h"

namespace leakscope::cli {
namespace {

struct MarkFlags {
  std::string label;
  std::string capture;
  bool quiet = false;
};

int mark_command(const MarkFlags& f) {
  if (f.label.empty())
    return fail(Status(StatusCode::kInvalidArgument, "empty mark label", "",
                       "give a label such as \"recording\""));
  int64_t t_ms = 0;
  Status s = store::append_mark(f.capture, f.label, "cli", realtime_ns(), &t_ms);
  if (!s.is_ok()) return fail(s);
  if (!f.quiet)
    std::fprintf(stderr, "leakscope: mark '%s' at %.3f s in %s\n", f.label.c_str(),
                 static_cast<double>(t_ms) / 1000.0, f.capture.c_str());
  return 0;
}

}  // namespace

void add_mark_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<MarkFlags>();
  CLI::App* cmd = app.add_subcommand("mark", "Add a phase mark (now) to a capture");
  cmd->add_option("label", flags->label, "Phase label, e.g. \"recording\"")->required();
  cmd->add_option("-c,--capture", flags->capture, "The capture being recorded")->required();
  cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing on success");
  cmd->callback([flags, action] { *action = [flags] { return mark_command(*flags); }; });
}

}  // namespace leakscope::cli
