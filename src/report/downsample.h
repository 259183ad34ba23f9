// Series thinned for drawing. A chart is at most a couple of thousand pixels wide, so a
// series of hours at 10 Hz is cut into time buckets and each bucket keeps its minimum and
// maximum in the order they happened: spikes and dips survive (unlike averaging or
// striding), and the line drawn through the kept points covers exactly the pixels the full
// series would. Several series of one chart share one time axis (what uPlot wants); a
// series with no point in a bucket gets a gap there (NaN, drawn as a joined line).
#pragma once

#include <cstddef>
#include <vector>

#include "analyze/series.h"

namespace leakscope::report {

struct AlignedSeries {
  std::vector<double> t;                    // seconds, increasing
  std::vector<std::vector<double>> values;  // one per input series, NaN = no value at t
  bool thinned = false;                     // false: every original point is here
  size_t points() const { return t.size(); }
};

// At most ~max_points times (two per bucket); series small enough are kept whole.
AlignedSeries align_min_max(const std::vector<const analyze::Series*>& series, size_t max_points);

}  // namespace leakscope::report
