// Min/max thinning for drawing: spikes and dips survive, the point count stays under the
// target, short series stay whole, and series of different sampling share one time axis.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "report/downsample.h"

namespace leakscope::report {
namespace {

analyze::Series ramp(size_t n, double dt) {
  analyze::Series s;
  for (size_t i = 0; i < n; ++i) {
    s.t.push_back(static_cast<double>(i) * dt);
    s.v.push_back(static_cast<double>(i));
  }
  return s;
}

TEST(Downsample, ShortSeriesAreKeptWhole) {
  analyze::Series a = ramp(100, 0.1);
  AlignedSeries out = align_min_max({&a}, 2000);
  EXPECT_FALSE(out.thinned);
  EXPECT_EQ(out.t, a.t);
  EXPECT_EQ(out.values[0], a.v);
}

TEST(Downsample, KeepsSpikesAndDipsUnderTheTarget) {
  analyze::Series a = ramp(360000, 0.01);  // an hour at 100 Hz
  for (auto& v : a.v) v = 1000;
  a.v[123457] = 1e9;  // one spike
  a.v[250001] = -5;   // one dip
  AlignedSeries out = align_min_max({&a}, 2000);
  EXPECT_TRUE(out.thinned);
  EXPECT_LE(out.points(), 2000u);
  EXPECT_GE(out.points(), 1990u);
  EXPECT_EQ(*std::max_element(out.values[0].begin(), out.values[0].end()), 1e9);
  EXPECT_EQ(*std::min_element(out.values[0].begin(), out.values[0].end()), -5);
  EXPECT_TRUE(std::is_sorted(out.t.begin(), out.t.end()));
}

TEST(Downsample, KeepsTheOrderOfMinimumAndMaximumInABucket) {
  analyze::Series down;
  for (int i = 0; i < 10000; ++i) {
    down.t.push_back(i);
    down.v.push_back(10000 - i);
  }
  AlignedSeries out = align_min_max({&down}, 100);
  ASSERT_TRUE(out.thinned);
  // A falling series stays falling: in every bucket the maximum comes first.
  for (size_t i = 1; i < out.values[0].size(); ++i) EXPECT_LE(out.values[0][i], out.values[0][i - 1]);
}

TEST(Downsample, SeriesOfDifferentRatesShareOneAxisWithGaps) {
  analyze::Series dense = ramp(10, 1), sparse;
  sparse.t = {0, 5};
  sparse.v = {7, 8};
  AlignedSeries out = align_min_max({&dense, &sparse}, 2000);
  ASSERT_EQ(out.t.size(), 10u);
  ASSERT_EQ(out.values.size(), 2u);
  EXPECT_EQ(out.values[1][0], 7);
  EXPECT_TRUE(std::isnan(out.values[1][1]));
  EXPECT_EQ(out.values[1][5], 8);
}

TEST(Downsample, EmptyInputGivesEmptyOutput) {
  analyze::Series none;
  AlignedSeries out = align_min_max({&none}, 2000);
  EXPECT_TRUE(out.t.empty());
  ASSERT_EQ(out.values.size(), 1u);
}

}  // namespace
}  // namespace leakscope::report
