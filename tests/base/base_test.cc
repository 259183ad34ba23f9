// Tests for the small shared helpers: durations, byte sizes, shell quoting, Status text.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <algorithm>

#include <cstdio>

#include "base/file_util.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/time_util.h"

namespace leakscope {
namespace {

TEST(DurationTest, ParsesUnits) {
  int64_t ns = 0;
  EXPECT_TRUE(parse_duration_ns("10m", &ns));
  EXPECT_EQ(ns, 600LL * 1000000000);
  EXPECT_TRUE(parse_duration_ns("1h30m", &ns));
  EXPECT_EQ(ns, 5400LL * 1000000000);
  EXPECT_TRUE(parse_duration_ns("250ms", &ns));
  EXPECT_EQ(ns, 250LL * 1000000);
  EXPECT_TRUE(parse_duration_ns("2.5s", &ns));
  EXPECT_EQ(ns, 2500LL * 1000000);
  EXPECT_TRUE(parse_duration_ns("90", &ns));
  EXPECT_EQ(ns, 90LL * 1000000000);
  EXPECT_FALSE(parse_duration_ns("", &ns));
  EXPECT_FALSE(parse_duration_ns("ten", &ns));
  EXPECT_FALSE(parse_duration_ns("5x", &ns));
  EXPECT_FALSE(parse_duration_ns("-1s", &ns));
  EXPECT_FALSE(parse_duration_ns("1h30", &ns));
}

TEST(BytesTest, ParsesAndFormats) {
  uint64_t b = 0;
  EXPECT_TRUE(parse_bytes("100KiB", &b));
  EXPECT_EQ(b, 102400u);
  EXPECT_TRUE(parse_bytes("512k", &b));
  EXPECT_EQ(b, 524288u);
  EXPECT_TRUE(parse_bytes("2MB", &b));
  EXPECT_EQ(b, 2u << 20);
  EXPECT_TRUE(parse_bytes("7", &b));
  EXPECT_EQ(b, 7u);
  EXPECT_FALSE(parse_bytes("12 apples", &b));
  EXPECT_FALSE(parse_bytes("", &b));
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(-3.0 * 1024 * 1024), "-3.0 MiB");
  EXPECT_EQ(format_byte_rate_per_min(1024.0 * 1024 / 60), "+1.0 MiB/min");
}

TEST(StringsTest, ShellJoinQuotesOnlyWhenNeeded) {
  EXPECT_EQ(shell_join({"./app", "--flag=1", "a b", "it's", ""}),
            "./app --flag=1 'a b' 'it'\\''s' ''");
}

TEST(StringsTest, ParseIntegers) {
  uint64_t u = 0;
  EXPECT_TRUE(parse_u64("18446744073709551615", &u));
  EXPECT_FALSE(parse_u64("18446744073709551616", &u));
  int64_t i = 0;
  EXPECT_TRUE(parse_i64("-42", &i));
  EXPECT_EQ(i, -42);
  EXPECT_FALSE(parse_i64("x", &i));
}

TEST(StatusTest, MessageFormat) {
  Status s(StatusCode::kNotFound, "no such process 4242", "/proc/4242 does not exist",
           "check the pid with `ps -e`");
  EXPECT_EQ(s.message(),
            "no such process 4242 (/proc/4242 does not exist; check the pid with `ps -e`)");
  EXPECT_EQ(Status(StatusCode::kIo, "x").message(), "x");
  EXPECT_EQ(errno_status(ENOENT, "open f").code(), StatusCode::kNotFound);
  EXPECT_EQ(errno_status(EACCES, "open f").code(), StatusCode::kPermissionDenied);
}

TEST(FileUtilTest, ReadsMultiPageProcFilesWhole) {
  // /proc/PID/maps comes about a page per read(); 300 separate mappings make it ~20 KiB.
  std::vector<void*> maps;
  for (int i = 0; i < 300; ++i) {
    void* p = mmap(nullptr, 4096, (i % 2) ? PROT_READ : PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    maps.push_back(p);
  }
  std::string text;
  ASSERT_TRUE(read_file("/proc/self/maps", &text).is_ok());
  // Compare against our own mappings, not a second read: sanitizer runtimes map memory
  // between two reads, so the file legitimately changes under us.
  size_t found = 0;
  for (void* p : maps) {
    char start[32];
    snprintf(start, sizeof start, "\n%lx-", reinterpret_cast<unsigned long>(p));
    if (text.find(start) != std::string::npos) ++found;
  }
  for (void* p : maps) munmap(p, 4096);
  EXPECT_GT(text.size(), 8192u);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  // Adjacent mappings with equal protections merge, so count the ones that start a line.
  EXPECT_GE(found, 150u);
  EXPECT_GE(std::count(text.begin(), text.end(), '\n'), 300);
}

}  // namespace
}  // namespace leakscope
