// One series that can leak, as the verdict engine sees it: times in seconds since the
// recording started and one value per time. The engine is a pure function of these, so
// the same code judges a finished capture, a capture cut at `--at T`, or (later) a
// growing capture in serve mode.
#pragma once

#include <string>
#include <vector>

namespace leakscope::analyze {

enum class SeriesKind { kBytes, kCount };

struct Series {
  std::string name;    // "anon", "file", "shmem", "swap", "fds", "threads", "pss", ...
  std::string source;  // where the numbers come from: "RssAnon", "Pss_Anon", "fd count", ...
  SeriesKind kind = SeriesKind::kBytes;
  std::vector<double> t;  // seconds, increasing
  std::vector<double> v;

  bool empty() const { return t.empty(); }
  size_t size() const { return t.size(); }
};

// The points of `s` with t <= t_max (the data as it was at time t_max).
Series truncate_series(const Series& s, double t_max);

// Theil–Sen slope of `s` over [t0, t1] with its 95% interval (Hamed–Rao corrected), on at
// most ~200 evenly strided points. False when fewer than 6 points fall in the window.
bool window_trend(const Series& s, double t0, double t1, double* slope, double* lo, double* hi);

// Bins on a regular grid: per bin the median and the minimum of the points it holds,
// at the mean time of those points. Empty bins are left out.
struct Bins {
  std::vector<double> t;
  std::vector<double> med;
  std::vector<double> min;
  double width = 0;
  size_t size() const { return t.size(); }
};
Bins bin_series(const Series& s, double width);

// Periodic ramps and drops (GC, pooled buffers): drops are runs of decreasing points
// whose total fall exceeds `min_drop` and many times the typical step. The verdict then
// trends the lower envelope: the level right after each drop, one point per cycle, as
// HPjmeter trends the heap after each collection.
struct Sawtooth {
  bool detected = false;
  int drops = 0;
  double period_s = 0;      // median time between drops
  double median_drop = 0;   // size of the typical drop
  // The lowest point after each drop (the post-collection level): the lower envelope.
  std::vector<double> trough_t, trough_v;
};
Sawtooth detect_sawtooth(const Series& s, double min_drop);

}  // namespace leakscope::analyze
