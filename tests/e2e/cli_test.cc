// End-to-end tests of the CLI's promises: the target's stdin/stdout/stderr and exit status
// are identical with and without leakscope; marks from stdout and from another shell;
// signal forwarding; `attach`; `export`; and a one-line error for every kind of bad input.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>

#include <fstream>

#include "e2e_util.h"
#include "store/capture_reader.h"

namespace leakscope::e2e {
namespace {

using store::CaptureReader;

void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code(), 0);
  EXPECT_EQ(r.err.rfind("leakscope: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(CliTest, OutputAndStatusIdenticalWithAndWithoutLeakscope) {
  TempDir tmp;
  const std::string input = "some input\nwith two lines";
  for (const std::string arg : {"0", "42"}) {
    auto plain = run_command({program("passthrough"), arg, "x y"}, input);
    auto wrapped = run_command({leakscope_bin(), "run", "-q", "-o", tmp.path("a.db"), "--",
                                program("passthrough"), arg, "x y"},
                               input);
    auto marked = run_command({leakscope_bin(), "run", "-q", "-o", tmp.path("b.db"),
                               "--mark-regex", "^PHASE (\\w+)", "--", program("passthrough"),
                               arg, "x y"},
                              input);
    EXPECT_EQ(plain.exit_code(), std::stoi(arg));
    for (const auto* r : {&wrapped, &marked}) {
      EXPECT_EQ(r->status, plain.status);
      EXPECT_EQ(r->out, plain.out);
      EXPECT_EQ(r->err, plain.err);  // -q: leakscope adds nothing of its own
    }
  }
}

TEST(CliTest, DiesOfTheSameSignalAsTheTarget) {
  TempDir tmp;
  auto plain = run_command({program("passthrough"), "kill"});
  auto wrapped = run_command({leakscope_bin(), "run", "-q", "-o", tmp.path("a.db"), "--",
                              program("passthrough"), "kill"});
  EXPECT_EQ(plain.term_signal(), SIGTERM);
  EXPECT_EQ(wrapped.term_signal(), SIGTERM);
  EXPECT_EQ(wrapped.out, plain.out);
  auto reader = CaptureReader::open(tmp.path("a.db"));
  ASSERT_TRUE(reader.is_ok());
  EXPECT_EQ(reader->meta().run.exit_signal, SIGTERM);
}

TEST(CliTest, MarksFromStdoutRegex) {
  TempDir tmp;
  auto r = run_command({leakscope_bin(), "run", "-q", "-o", tmp.path("m.db"), "--mark-regex",
                        "^PHASE (\\w+)", "--", program("passthrough"), "0"});
  ASSERT_EQ(r.exit_code(), 0);
  auto reader = CaptureReader::open(tmp.path("m.db"));
  ASSERT_TRUE(reader.is_ok());
  const auto& marks = reader->meta().marks;
  ASSERT_EQ(marks.size(), 2u);  // the last line has no newline and still counts
  EXPECT_EQ(marks[0].label, "start");
  EXPECT_EQ(marks[1].label, "end");
  EXPECT_EQ(marks[0].source, "stdout");
}

TEST(CliTest, RunWritesTheReportAndKeepsTheExitStatus) {
  TempDir tmp;
  auto r = run_command({leakscope_bin(), "run", "-q", "--heap", "-o", tmp.path("r.db"),
                        "--report", tmp.path("r.html"), "--", program("passthrough"), "3"});
  EXPECT_EQ(r.exit_code(), 3) << r.err;
  std::ifstream html(tmp.path("r.html"));
  std::string text((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<html"), std::string::npos);
  EXPECT_NE(text.find("passthrough"), std::string::npos);
  auto md = run_command({leakscope_bin(), "run", "-o", tmp.path("m.db"), "--report",
                         tmp.path("m.md"), "--", program("passthrough"), "0"});
  EXPECT_EQ(md.exit_code(), 0) << md.err;
  EXPECT_NE(md.err.find("leakscope: report: " + tmp.path("m.md") + " (md, "), std::string::npos)
      << md.err;
  std::ifstream m(tmp.path("m.md"));
  std::string mtext((std::istreambuf_iterator<char>(m)), std::istreambuf_iterator<char>());
  EXPECT_EQ(mtext.rfind("# ", 0), 0u) << mtext.substr(0, 200);
}

TEST(CliTest, MarkFromAnotherShellWhileRecording) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  pid_t rec = spawn_background({leakscope_bin(), "run", "-q", "-o", cap, "--", "sleep", "3"});
  usleep(1200 * 1000);
  auto m = run_command({leakscope_bin(), "mark", "recording", "--capture", cap});
  EXPECT_EQ(m.exit_code(), 0) << m.err;
  int status = 0;
  waitpid(rec, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  ASSERT_EQ(reader->meta().marks.size(), 1u);
  EXPECT_EQ(reader->meta().marks[0].label, "recording");
  EXPECT_EQ(reader->meta().marks[0].source, "cli");
  EXPECT_NEAR(reader->meta().marks[0].t_ms, 1200, 400);
}

TEST(CliTest, ForwardsSigtermToTheTarget) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  pid_t rec = spawn_background({leakscope_bin(), "run", "-q", "-o", cap, "--", "sleep", "30"});
  usleep(800 * 1000);
  kill(rec, SIGTERM);
  int status = 0;
  waitpid(rec, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));  // sleep died of SIGTERM, and so do we
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  EXPECT_EQ(reader->meta().processes[0].exit_signal, SIGTERM);
  EXPECT_GE(reader->meta().run.end_ms, 700);
}

TEST(CliTest, AttachRecordsRunningProcessAndDescendants) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  pid_t target = spawn_background({program("fork_tree"), "4", "1024"});
  usleep(300 * 1000);
  auto r = run_command({leakscope_bin(), "attach", std::to_string(target), "-o", cap,
                        "--duration", "1500ms"});
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.err.find("recorded"), std::string::npos);
  kill(target, SIGKILL);
  waitpid(target, nullptr, 0);
  system(("pkill -f '" + program("fork_tree") + "'").c_str());
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  const auto& m = reader->meta();
  EXPECT_EQ(m.run.mode, "attach");
  EXPECT_GE(m.processes.size(), 3u);  // fork_tree, leaky, grandchild (+ sleep)
  EXPECT_EQ(m.processes[0].pid, target);
  EXPECT_LT(m.processes[0].start_ms, 0);  // started before the recording
  EXPECT_NEAR(m.run.end_ms, 1500, 300);
}

TEST(CliTest, ExportCsvHasEveryTable) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  ASSERT_EQ(run_command({leakscope_bin(), "run", "-q", "-o", cap, "--mark-regex", "PHASE (\\w+)",
                         "--", program("passthrough")}).exit_code(), 0);
  auto samples = run_command({leakscope_bin(), "export", cap, "--format", "csv"});
  ASSERT_EQ(samples.exit_code(), 0) << samples.err;
  EXPECT_EQ(samples.out.rfind("pid,start_ticks,comm,t_s,rss,rss_anon", 0), 0u);
  EXPECT_NE(samples.out.find(",passthrough,"), std::string::npos);
  auto marks = run_command({leakscope_bin(), "export", cap, "--table", "mark"});
  EXPECT_NE(marks.out.find(",start,stdout,PHASE start"), std::string::npos) << marks.out;
  auto procs = run_command({leakscope_bin(), "export", cap, "--table", "process", "-o",
                            tmp.path("p.csv")});
  ASSERT_EQ(procs.exit_code(), 0);
  std::ifstream in(tmp.path("p.csv"));
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("pid,start_ticks,comm,ppid", 0), 0u);
}

TEST(CliTest, BadInputGetsOneLineErrors) {
  TempDir tmp;
  // No such pid.
  expect_one_line_error(run_command({leakscope_bin(), "attach", "999999", "-o", tmp.path("x.db")}),
                        "no such process 999999");
  expect_one_line_error(run_command({leakscope_bin(), "attach", "12abc"}), "bad pid");
  // A directory and random bytes as a capture.
  expect_one_line_error(run_command({leakscope_bin(), "export", tmp.dir().string()}),
                        "is not a leakscope capture");
  {
    std::ofstream junk(tmp.path("junk.db"), std::ios::binary);
    for (int i = 0; i < 10000; ++i) junk.put(static_cast<char>(i * 31));
  }
  expect_one_line_error(run_command({leakscope_bin(), "export", tmp.path("junk.db")}),
                        "is not a leakscope capture");
  expect_one_line_error(run_command({leakscope_bin(), "mark", "x", "--capture", tmp.path("junk.db")}),
                        "is not a leakscope capture");
  // -o into a missing folder: nothing is launched.
  auto r = run_command({leakscope_bin(), "run", "-o", tmp.path("missing/dir/cap.db"), "--", "true"});
  expect_one_line_error(r, "create the folder first");
  EXPECT_EQ(r.exit_code(), 125);
  // A command that does not exist.
  r = run_command({leakscope_bin(), "run", "-o", tmp.path("c.db"), "--", "no-such-command-xyz"});
  expect_one_line_error(r, "cannot run 'no-such-command-xyz'");
  EXPECT_EQ(r.exit_code(), 127);
  // Bad options.
  expect_one_line_error(run_command({leakscope_bin(), "run", "--interval", "fast", "--", "true"}),
                        "bad --interval");
  expect_one_line_error(run_command({leakscope_bin(), "run", "--mark-regex", "(", "-o",
                                     tmp.path("d.db"), "--", "true"}),
                        "bad --mark-regex");
  expect_one_line_error(run_command({leakscope_bin(), "frobnicate"}), "bad command line");
}

TEST(CliTest, AttachToAnotherUsersProcessIsRefused) {
  TempDir tmp;
  if (geteuid() != 0) {
    // As an ordinary user: pid 1 belongs to root.
    expect_one_line_error(run_command({leakscope_bin(), "attach", "1", "-o", tmp.path("x.db")}),
                          "permission denied");
    return;
  }
  // As root: run leakscope as `nobody` against a root-owned process.
  struct passwd* nobody = getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no 'nobody' user";
  pid_t target = spawn_background({"sleep", "10"});
  chmod(tmp.dir().c_str(), 0777);
  auto r = run_command({"setpriv", "--reuid=" + std::to_string(nobody->pw_uid),
                        "--regid=" + std::to_string(nobody->pw_gid), "--clear-groups",
                        leakscope_bin(), "attach", std::to_string(target), "-o",
                        tmp.path("x.db")});
  kill(target, SIGKILL);
  waitpid(target, nullptr, 0);
  if (r.exit_code() == 127 && r.err.find("setpriv") != std::string::npos)
    GTEST_SKIP() << "setpriv not available";
  expect_one_line_error(r, "permission denied");
}

}  // namespace
}  // namespace leakscope::e2e
