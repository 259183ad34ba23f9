// Tests for --mark-regex line scanning: labels from groups, split writes, CRLF, bad regex.
#include "collect/stdout_marks.h"

#include <gtest/gtest.h>

namespace leakscope::collect {
namespace {

TEST(StdoutMarksTest, LabelsFromFirstGroupAcrossSplitWrites) {
  auto s = StdoutMarkScanner::create("^PHASE (\\w+)");
  ASSERT_TRUE(s.is_ok());
  std::vector<store::Mark> marks;
  s->feed("hello\nPHA", 10, &marks);
  EXPECT_TRUE(marks.empty());
  s->feed("SE active\r\nnoise PHASE x\nPHASE idle", 20, &marks);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].label, "active");
  EXPECT_EQ(marks[0].t_ms, 20);
  EXPECT_EQ(marks[0].source, "stdout");
  EXPECT_EQ(marks[0].text, "PHASE active");
  s->finish(30, &marks);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[1].label, "idle");
}

TEST(StdoutMarksTest, WholeMatchWithoutGroup) {
  auto s = StdoutMarkScanner::create("step [0-9]+");
  ASSERT_TRUE(s.is_ok());
  std::vector<store::Mark> marks;
  s->feed("doing step 12 now\n", 5, &marks);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].label, "step 12");
}

TEST(StdoutMarksTest, BadRegexIsAClearError) {
  auto s = StdoutMarkScanner::create("^PHASE (\\w+");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("--mark-regex"), std::string::npos);
}

}  // namespace
}  // namespace leakscope::collect
