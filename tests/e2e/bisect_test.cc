// `git bisect run leakscope check ...` over a generated history: eight commits of a tiny C
// program, one of which starts leaking ~3 MiB/s; the next two fail to build or crash at
// start, which the bisect script and `check` report as 125 (skip). Bisection has to name
// the commit that introduced the leak.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace {

using leakscope::e2e::run_command;

struct Repo {
  leakscope::e2e::TempDir dir;
  std::string path() const { return dir.path("repo"); }
  std::string git(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"git", "-C", path()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv, "", 240);
    EXPECT_EQ(r.exit_code(), 0) << "git " << args[0] << ": " << r.out << r.err;
    return r.out + r.err;
  }
  std::string commit(const std::string& message, const std::string& source) {
    std::ofstream(path() + "/prog.c") << source;
    git({"add", "prog.c"});
    git({"commit", "-q", "-m", message});
    std::string sha = git({"rev-parse", "HEAD"});
    return sha.substr(0, sha.find('\n'));
  }
};

// The program runs until stopped; `body` is the loop's work, `setup` runs first.
std::string source(const std::string& body, const std::string& setup = "") {
  return "#include <signal.h>\n#include <stdlib.h>\n#include <string.h>\n#include <time.h>\n"
         "int main(void) {\n  struct timespec step = {0, 20000000};\n" + setup +
         "  for (;;) {\n    char* buffer = malloc(65536);\n    memset(buffer, 1, 65536);\n" + body +
         "    nanosleep(&step, 0);\n  }\n}\n";
}

TEST(BisectE2E, FindsTheCommitThatStartedLeaking) {
  Repo repo;
  ASSERT_EQ(run_command({"git", "init", "-q", repo.path()}).exit_code(), 0);
  repo.git({"config", "user.name", "leakscope test"});
  repo.git({"config", "user.email", "test@leakscope.invalid"});
  repo.git({"config", "commit.gpgsign", "false"});
  std::vector<std::string> shas;
  const std::string freed = "    free(buffer);\n";
  // The leak comes early and the next two commits cannot be tested, so bisection lands on
  // them first (the middle of the range) and must skip both before it can finish.
  shas.push_back(repo.commit("initial", source(freed)));
  shas.push_back(repo.commit("comment", source("    /* done with it */\n" + freed)));
  shas.push_back(repo.commit("keep buffers for reuse", source("    /* kept for reuse */\n")));
  shas.push_back(repo.commit("refactor (does not build)", source("    kept(buffer\n")));
  shas.push_back(repo.commit("crash at start", source("    /* kept */\n", "  raise(SIGSEGV);\n")));
  shas.push_back(repo.commit("fix the crash", source("    /* kept for reuse, again */\n")));
  shas.push_back(repo.commit("more", source("    /* kept for reuse, always */\n")));
  shas.push_back(repo.commit("even more", source("    /* kept for reuse, forever */\n")));

  std::string script = repo.dir.path("bisect.sh");
  std::ofstream(script) << "#!/bin/sh\ncc -O1 -o prog prog.c 2>/dev/null || exit 125\nexec " +
                               leakscope::e2e::leakscope_bin() +
                               " check --max-rate 1MiB/min --duration 5s -- ./prog\n";
  repo.git({"bisect", "start", shas.back(), shas.front()});
  std::string log = repo.git({"bisect", "run", "sh", script});
  EXPECT_NE(log.find(shas[2] + " is the first bad commit"), std::string::npos) << log;
  EXPECT_NE(log.find("keep buffers for reuse"), std::string::npos) << log;
  std::string state = repo.git({"bisect", "log"});
  repo.git({"bisect", "reset"});
  // The commit that does not build (bisect.sh) and the one that crashes (check) were skipped.
  EXPECT_NE(state.find("# skip: [" + shas[3] + "]"), std::string::npos) << state;
  EXPECT_NE(state.find("# skip: [" + shas[4] + "]"), std::string::npos) << state;
  EXPECT_NE(state.find("# good: [" + shas[1] + "]"), std::string::npos) << state;
}

}  // namespace
