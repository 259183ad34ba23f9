// leakscope's entry point: parses the subcommand and runs it. Each subcommand lives in
// its own cmd_<verb>.cc and registers itself here.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_common.h"

namespace leakscope::cli {

void print_error(const Status& status) {
  std::fprintf(stderr, "leakscope: error: %s\n", status.message().c_str());
}

int fail(const Status& status, int exit_code) {
  print_error(status);
  return exit_code;
}

std::vector<std::string>& command_after_dashes() {
  static std::vector<std::string> words;
  return words;
}

bool& saw_dashes() {
  static bool seen = false;
  return seen;
}

}  // namespace leakscope::cli

int main(int argc, char** argv) {
  using namespace leakscope::cli;
  CLI::App app{"leakscope: is it really leaking? where, how fast, and did the fix work?",
               "leakscope"};
  app.set_version_flag("--version", std::string("leakscope ") + LEAKSCOPE_VERSION);
  app.require_subcommand(1);
  Action action;
  add_run_command(app, &action);
  add_attach_command(app, &action);
  add_mark_command(app, &action);
  add_triage_command(app, &action);
  add_export_command(app, &action);
  add_sites_command(app, &action);
  add_analyze_command(app, &action);
  add_report_command(app, &action);
  add_check_command(app, &action);
  add_experiment_command(app, &action);
  add_diff_command(app, &action);
  // Everything after the first "--" is the target's command line, verbatim: split it off
  // before CLI11 sees it, so no word of the target's arguments is taken for an option.
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      for (int j = i + 1; j < argc; ++j) command_after_dashes().push_back(argv[j]);
      saw_dashes() = true;
      break;
    }
    args.push_back(argv[i]);
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them in reverse order
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::fprintf(stderr, "leakscope: error: %s (bad command line; see `leakscope --help`)\n",
                 what.c_str());
    return kExitError;
  }
  return action ? action() : kExitError;
}
