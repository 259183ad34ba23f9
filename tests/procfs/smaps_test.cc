// Tests for smaps_rollup / smaps parsing, mapping classification, the per-mapping
// class split used on kernels without Pss_Anon, and the address-space shape summary.
#include "procfs/smaps.h"

#include <gtest/gtest.h>

#include "procfs/maps_shape.h"
#include "procfs_test_util.h"

namespace leakscope::procfs {
namespace {

constexpr int64_t kKiB = 1024;

TEST(SmapsRollupTest, ParsesCurrentKernelWithClassSplit) {
  MemRollup r;
  ASSERT_TRUE(parse_smaps_rollup(read_fixture("kernel-6.18/python_smaps_rollup"), &r).is_ok());
  EXPECT_GT(r.pss, 0);
  EXPECT_GT(r.pss_anon, 50 * kKiB * 1024);
  EXPECT_GE(r.pss_file, 0);
  EXPECT_GE(r.pss_shmem, 0);
  // The kernel's split adds up to Pss.
  EXPECT_EQ(r.pss_anon + r.pss_file + r.pss_shmem, r.pss);
}

TEST(SmapsRollupTest, OldKernelLacksSplit) {
  MemRollup r;
  ASSERT_TRUE(parse_smaps_rollup(read_fixture("edge/smaps_rollup_kernel_4_14"), &r).is_ok());
  EXPECT_EQ(r.pss, 385 * kKiB);
  EXPECT_EQ(r.pss_anon, kMissing);
  EXPECT_EQ(r.private_dirty, 60 * kKiB);
  EXPECT_EQ(r.swap_pss, 0);
}

TEST(SmapsRollupTest, RejectsFileWithoutPss) {
  MemRollup r;
  EXPECT_FALSE(parse_smaps_rollup("Rss: 12 kB\n", &r).is_ok());
  EXPECT_FALSE(parse_smaps_rollup(read_fixture("edge/garbage"), &r).is_ok());
}

TEST(SmapsTest, ParsesMappingsAndPaths) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_smaps(read_fixture("edge/smaps_mixed"), &maps).is_ok());
  ASSERT_EQ(maps.size(), 6u);
  EXPECT_EQ(maps[0].path, "[heap]");
  EXPECT_EQ(maps[1].path, "/dev/shm/my segment (deleted)");
  EXPECT_EQ(maps[1].perms, "rw-s");
  EXPECT_EQ(maps[2].start, 0x7f1000000000u);
  EXPECT_EQ(maps[2].end, 0x7f1000100000u);
  EXPECT_EQ(maps[3].offset, 0x100000u);
  EXPECT_EQ(maps[3].inode, 5678u);
  EXPECT_EQ(maps[4].path, "");
  EXPECT_EQ(maps[0].swap, 12 * kKiB);
  EXPECT_EQ(classify_mapping(maps[0]), MappingKind::kHeap);
  EXPECT_EQ(classify_mapping(maps[1]), MappingKind::kShared);
  EXPECT_EQ(classify_mapping(maps[2]), MappingKind::kFile);
  EXPECT_EQ(classify_mapping(maps[4]), MappingKind::kAnonymous);
  EXPECT_EQ(classify_mapping(maps[5]), MappingKind::kStack);
}

TEST(SmapsTest, DerivedSplitMatchesHandComputation) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_smaps(read_fixture("edge/smaps_mixed"), &maps).is_ok());
  MemRollup r = rollup_from_mappings(maps);
  EXPECT_EQ(r.pss, 2884 * kKiB);
  EXPECT_EQ(r.pss_shmem, 2048 * kKiB);
  // heap 100 + COW page of libfoo's data 8 + half of a forked anon region 500 + stack 20
  EXPECT_EQ(r.pss_anon, 628 * kKiB);
  EXPECT_EQ(r.pss_file, 208 * kKiB);
  EXPECT_EQ(r.private_dirty, 628 * kKiB);
  EXPECT_EQ(r.swap, 12 * kKiB);
}

TEST(SmapsTest, RealKernelSmapsAgreesWithRollup) {
  // Both recorded from the same `sleep` process at the same moment.
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_smaps(read_fixture("kernel-6.18/sleep_smaps"), &maps).is_ok());
  MemRollup derived = rollup_from_mappings(maps);
  MemRollup rollup;
  ASSERT_TRUE(parse_smaps_rollup(read_fixture("kernel-6.18/sleep_smaps_rollup"), &rollup).is_ok());
  EXPECT_EQ(derived.rss, rollup.rss);
  // The kernel truncates each mapping's Pss to kB but sums the rollup precisely, so the
  // derived sum may be lower by under 1 kB per mapping.
  EXPECT_LE(derived.pss, rollup.pss);
  EXPECT_GE(derived.pss, rollup.pss - static_cast<int64_t>(maps.size()) * kKiB);
  EXPECT_EQ(derived.private_dirty, rollup.private_dirty);
  // The per-mapping split is an approximation of the kernel's per-page one: within 5%.
  EXPECT_NEAR(static_cast<double>(derived.pss_anon), static_cast<double>(rollup.pss_anon),
              0.05 * static_cast<double>(rollup.pss) + 4 * kKiB);
}

TEST(SmapsTest, MapsFileParsesWithoutCounters) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_smaps(read_fixture("kernel-6.18/sleep_maps"), &maps).is_ok());
  ASSERT_GT(maps.size(), 5u);
  EXPECT_EQ(maps[0].rss, kMissing);
}

TEST(SmapsTest, RejectsCountersBeforeHeader) {
  std::vector<Mapping> maps;
  EXPECT_FALSE(parse_smaps("Rss: 4 kB\n", &maps).is_ok());
}

TEST(MapsShapeTest, FindsArenaHeapAndShmem) {
  std::vector<Mapping> maps;
  ASSERT_TRUE(parse_smaps(read_fixture("edge/smaps_mixed"), &maps).is_ok());
  MapsShape shape = summarize_maps(maps);
  EXPECT_EQ(shape.heap_bytes, 132 * kKiB);
  EXPECT_EQ(shape.anon_mappings, 1);
  EXPECT_EQ(shape.anon_bytes, 64 * kKiB * 1024);
  EXPECT_EQ(shape.arena_like, 1);
  EXPECT_EQ(shape.file_mappings, 2);
  EXPECT_EQ(shape.shmem_bytes, 8192 * kKiB);
}

TEST(MapsShapeTest, ArenaSplitIntoReservedAndUsedParts) {
  auto anon = [](uint64_t start, uint64_t end, const char* perms) {
    Mapping m;
    m.start = start;
    m.end = end;
    m.perms = perms;
    return m;
  };
  std::vector<Mapping> maps = {
      anon(0x7f0004000000, 0x7f0004100000, "rw-p"),
      anon(0x7f0004100000, 0x7f0008000000, "---p"),
      anon(0x7f0008000000, 0x7f0008200000, "rw-p"),  // aligned but only 2 MiB: not an arena
  };
  EXPECT_EQ(summarize_maps(maps).arena_like, 1);
}

}  // namespace
}  // namespace leakscope::procfs
