// Tests for the status parser: current and old kernels, kernel threads, zombies, overflow.
#include "procfs/proc_status.h"

#include <gtest/gtest.h>

#include "procfs_test_util.h"

namespace leakscope::procfs {
namespace {

TEST(ProcStatusTest, ParsesRecordedKernelFile) {
  ProcStatus s;
  ASSERT_TRUE(parse_proc_status(read_fixture("kernel-6.18/python_status"), &s).is_ok());
  EXPECT_EQ(s.name, "python3");
  EXPECT_GT(s.rss_anon, 50ll << 20);
  EXPECT_GE(s.rss_file, 0);
  EXPECT_GE(s.rss_shmem, 0);
  EXPECT_EQ(s.vm_rss, s.rss_anon + s.rss_file + s.rss_shmem);
  EXPECT_GE(s.vm_hwm, s.vm_rss);
  EXPECT_GE(s.vm_swap, 0);
  EXPECT_GE(s.threads, 1);
  EXPECT_GE(s.uid_real, 0);
}

TEST(ProcStatusTest, OldKernelHasNoRssSplit) {
  ProcStatus s;
  ASSERT_TRUE(parse_proc_status(read_fixture("edge/status_kernel_4_4"), &s).is_ok());
  EXPECT_EQ(s.vm_rss, 40000ll * 1024);
  EXPECT_EQ(s.vm_data, 100000ll * 1024);
  EXPECT_EQ(s.rss_anon, kMissing);  // not zero: "not available"
  EXPECT_EQ(s.rss_file, kMissing);
  EXPECT_EQ(s.uid_real, 1000);
  EXPECT_EQ(s.uid_effective, 1000);
  EXPECT_EQ(s.threads, 3);
}

TEST(ProcStatusTest, KernelThreadAndZombieHaveNoMemory) {
  ProcStatus k;
  ASSERT_TRUE(parse_proc_status(read_fixture("edge/status_kernel_thread"), &k).is_ok());
  EXPECT_EQ(k.vm_rss, kMissing);
  EXPECT_EQ(k.ppid, 2);
  ProcStatus z;
  ASSERT_TRUE(parse_proc_status(read_fixture("edge/status_zombie"), &z).is_ok());
  EXPECT_EQ(z.state, 'Z');
  EXPECT_EQ(z.vm_rss, kMissing);
}

TEST(ProcStatusTest, HugeValuesDoNotOverflow) {
  ProcStatus s;
  ASSERT_TRUE(parse_proc_status(read_fixture("edge/status_huge"), &s).is_ok());
  EXPECT_EQ(s.vm_rss, kMissing);  // 2^64-1 kB does not fit in bytes: dropped, not wrapped
  EXPECT_EQ(s.rss_anon, 9007199254740991ll * 1024);
  EXPECT_EQ(s.rss_file, 12 * 1024);
  EXPECT_EQ(s.threads, 99999);
}

TEST(ProcStatusTest, RejectsGarbage) {
  ProcStatus s;
  EXPECT_FALSE(parse_proc_status(read_fixture("edge/garbage"), &s).is_ok());
  EXPECT_FALSE(parse_proc_status("", &s).is_ok());
}

}  // namespace
}  // namespace leakscope::procfs
