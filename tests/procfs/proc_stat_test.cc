// Tests for the stat/statm parsers against recorded and hand-made /proc files.
#include "procfs/proc_stat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/file_util.h"
#include "procfs_test_util.h"

namespace leakscope::procfs {
namespace {

TEST(ProcStatTest, ParsesRecordedKernelFile) {
  ProcStat st;
  ASSERT_TRUE(parse_proc_stat(read_fixture("kernel-6.18/python_stat"), &st).is_ok());
  EXPECT_GT(st.pid, 0);
  EXPECT_EQ(st.comm, "python3");
  EXPECT_EQ(st.state, 'R');
  EXPECT_GT(st.starttime_ticks, 0u);
  EXPECT_GE(st.num_threads, 1);
  EXPECT_GT(st.vsize_bytes, 50u << 20);  // it held a 50 MiB bytearray
}

TEST(ProcStatTest, CommWithSpacesAndParentheses) {
  ProcStat st;
  ASSERT_TRUE(parse_proc_stat(read_fixture("edge/stat_weird_comm"), &st).is_ok());
  EXPECT_EQ(st.pid, 4242);
  EXPECT_EQ(st.comm, "my (weird) app");
  EXPECT_EQ(st.state, 'S');
  EXPECT_EQ(st.ppid, 1);
  EXPECT_EQ(st.minflt, 1500u);
  EXPECT_EQ(st.majflt, 3u);
  EXPECT_EQ(st.utime_ticks, 120u);
  EXPECT_EQ(st.stime_ticks, 35u);
  EXPECT_EQ(st.num_threads, 7);
  EXPECT_EQ(st.starttime_ticks, 987654u);
  EXPECT_EQ(st.vsize_bytes, 104857600u);
  EXPECT_EQ(st.rss_pages, 2560);
}

TEST(ProcStatTest, ZombieState) {
  ProcStat st;
  ASSERT_TRUE(parse_proc_stat(read_fixture("edge/stat_zombie"), &st).is_ok());
  EXPECT_EQ(st.state, 'Z');
  EXPECT_EQ(st.comm, "zombie");
}

TEST(ProcStatTest, RejectsTruncatedAndGarbage) {
  ProcStat st;
  EXPECT_EQ(parse_proc_stat(read_fixture("edge/stat_truncated"), &st).code(), StatusCode::kCorrupt);
  EXPECT_FALSE(parse_proc_stat(read_fixture("edge/garbage"), &st).is_ok());
  EXPECT_FALSE(parse_proc_stat("", &st).is_ok());
  EXPECT_FALSE(parse_proc_stat("12 (x", &st).is_ok());
  EXPECT_FALSE(parse_proc_stat(") 12 (x", &st).is_ok());
}

TEST(ProcStatTest, ParsesOwnProcess) {
  std::string text;
  ASSERT_TRUE(read_file("/proc/self/stat", &text).is_ok());
  ProcStat st;
  ASSERT_TRUE(parse_proc_stat(text, &st).is_ok());
  EXPECT_EQ(st.pid, ::getpid());
  EXPECT_EQ(st.ppid, ::getppid());
}

TEST(ProcStatmTest, ParsesRecordedAndRejectsShort) {
  ProcStatm m;
  ASSERT_TRUE(parse_proc_statm(read_fixture("kernel-6.18/python_statm"), &m).is_ok());
  EXPECT_GT(m.resident_pages, (50u << 20) / 4096);
  EXPECT_GE(m.resident_pages, m.shared_pages);
  EXPECT_FALSE(parse_proc_statm("1 2 3", &m).is_ok());
  EXPECT_FALSE(parse_proc_statm("a b c d e f g", &m).is_ok());
}

}  // namespace
}  // namespace leakscope::procfs
