// End-to-end: a program's stdout, stderr and exit status are the same with and without
// `leakscope run --heap` (the preload library never writes to the program's streams and
// never changes its fate), for every heap test program, including the ones that die of a
// signal, leave with _exit, fork, exec and start threads.
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "heap_programs.h"

namespace leakscope::e2e {
namespace {

class HeapIdentity : public ::testing::TestWithParam<HeapProgram> {};

TEST_P(HeapIdentity, SameOutputAndStatus) {
  const HeapProgram& c = GetParam();
  std::vector<std::string> argv = {program(c.name)};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  CommandResult alone = run_command(argv, "", 60);
  TempDir tmp;
  for (const std::string mode : {"--heap", "--heap=sample:4k"}) {
    std::vector<std::string> cmd = {leakscope_bin(), "run", "-q", mode, "-o", tmp.path("cap.db"), "--"};
    cmd.insert(cmd.end(), argv.begin(), argv.end());
    CommandResult traced = run_command(cmd, "", 60);
    EXPECT_EQ(traced.out, alone.out) << mode;
    EXPECT_EQ(traced.err, alone.err) << mode;
    EXPECT_EQ(traced.exit_code(), alone.exit_code()) << mode;
    EXPECT_EQ(traced.term_signal(), alone.term_signal()) << mode;
  }
}

// A program that runs on after the recording (--duration) keeps allocating: its preload's
// next send fails, and the collector's goodbye keeps that failure off the program's stderr.
TEST(HeapIdentityAfterRecording, ProgramThatOutlivesTheRecordingHearsNothing) {
  TempDir tmp;
  std::vector<std::string> argv = {program("heap_leak_ranking"), "2"};
  CommandResult alone = run_command(argv, "", 60);
  for (const std::string mode : {"--heap", "--heap=sample:4k"}) {
    std::vector<std::string> cmd = {leakscope_bin(), "run", "-q", mode, "--duration", "1s",
                                    "-o", tmp.path("cap.db"), "--"};
    cmd.insert(cmd.end(), argv.begin(), argv.end());
    // Waits for the pipes' end: the program's own, a second after leakscope's.
    CommandResult traced = run_command(cmd, "", 60);
    EXPECT_EQ(traced.err, alone.err) << mode;
  }
}

// heap_leak_ranking runs shorter here than in the valgrind comparison; the others as there.
std::vector<HeapProgram> identity_programs() {
  auto all = all_heap_programs();
  for (auto& p : all)
    if (p.name == "heap_leak_ranking") p.args = {"0.3"};
  return all;
}

INSTANTIATE_TEST_SUITE_P(Programs, HeapIdentity, ::testing::ValuesIn(identity_programs()),
                         [](const ::testing::TestParamInfo<HeapProgram>& info) {
                           return info.param.name + (info.param.args.empty() ? "" : "_args");
                         });

}  // namespace
}  // namespace leakscope::e2e
