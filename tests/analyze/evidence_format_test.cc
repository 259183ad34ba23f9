// How evidence writes values and rates: a flat count's Theil-Sen slope is a tiny float
// (-2.28e-05 fds/min was printed), which must read as no change.
#include "analyze/evidence.h"

#include <gtest/gtest.h>

namespace leakscope::analyze {
namespace {

SeriesResult count_series(const std::string& name) {
  SeriesResult r;
  r.name = name;
  r.kind = SeriesKind::kCount;
  return r;
}

TEST(EvidenceFormat, CountRates) {
  EXPECT_EQ(format_rate(count_series("fds"), -3.8e-7), "+0 fds/min");
  EXPECT_EQ(format_rate(count_series("threads"), 1e-9), "+0 threads/min");
  EXPECT_EQ(format_rate(count_series("fds"), 0.1), "+6 fds/min");
  EXPECT_EQ(format_rate(count_series("fds"), -0.18), "-10.8 fds/min");
  EXPECT_EQ(format_rate(count_series("threads"), 0.001), "+0.06 threads/min");
}

}  // namespace
}  // namespace leakscope::analyze
