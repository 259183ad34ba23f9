// Tests for process-tree discovery: the children-file parser and live listing of a real
// child process.
#include "procfs/children.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/file_util.h"
#include "procfs_test_util.h"

namespace leakscope::procfs {
namespace {

TEST(ChildrenTest, ParsesLists) {
  std::vector<pid_t> out;
  parse_children(read_fixture("edge/children_list"), &out);
  EXPECT_EQ(out, (std::vector<pid_t>{12, 13, 14}));
  out.clear();
  parse_children(read_fixture("edge/children_empty"), &out);
  EXPECT_TRUE(out.empty());
  parse_children(read_fixture("edge/garbage"), &out);
  EXPECT_TRUE(out.empty());
}

TEST(ChildrenTest, ListsARealChildAndScanAgrees) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  std::vector<pid_t> kids;
  Status s = list_children(getpid(), &kids);
  std::vector<PidParent> all;
  ASSERT_TRUE(scan_all_processes(&all).is_ok());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  if (s.code() == StatusCode::kUnsupported) GTEST_SKIP() << "kernel without CONFIG_PROC_CHILDREN";
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_NE(std::find(kids.begin(), kids.end(), child), kids.end());
  bool found = false;
  for (const auto& pp : all)
    if (pp.pid == child) found = pp.ppid == getpid();
  EXPECT_TRUE(found);
}

TEST(ChildrenTest, GoneProcessIsNotFound) {
  std::vector<pid_t> kids;
  EXPECT_EQ(list_children(999999999, &kids).code(), StatusCode::kNotFound);
}

TEST(ChildrenTest, LoadavgLastPid) {
  EXPECT_EQ(parse_loadavg_last_pid("0.00 0.01 0.05 1/123 4567\n"), 4567);
  EXPECT_EQ(parse_loadavg_last_pid("0.00 0.01 0.05 1/123 4567"), 4567);
  EXPECT_EQ(parse_loadavg_last_pid("0.00 0.01 0.05 1/123 45x7\n"), -1);
  EXPECT_EQ(parse_loadavg_last_pid(""), -1);
  EXPECT_EQ(parse_loadavg_last_pid("4567"), -1);
}

TEST(ChildrenTest, LoadavgLastPidMovesWithAFork) {
  std::string before, after;
  ASSERT_TRUE(read_file("/proc/loadavg", &before).is_ok());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(read_file("/proc/loadavg", &after).is_ok());
  int64_t b = parse_loadavg_last_pid(before);
  int64_t a = parse_loadavg_last_pid(after);
  ASSERT_GE(b, 0);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace leakscope::procfs
