// Growth rates as users write them ("100KiB/min", "2 MiB/s", "5 fds/min", "0") and as
// leakscope prints them. `check --max-rate`, the predictions and the baseline of an
// experiment, and the reports of `experiment` and `diff` all go through here, so a rate
// means the same thing everywhere: bytes (binary units) or counts, per second inside.
#pragma once

#include <string>

#include "base/status.h"

namespace leakscope::analyze {

// What a rate counts. A plain "0" (or "0/min") has no unit and fits any series.
enum class RateUnit { kAny, kBytes, kFds, kThreads };

struct Rate {
  double per_s = 0;
  RateUnit unit = RateUnit::kAny;
};

// Parses "<number>[ ]<unit>/<time>": units B, KiB, MiB, GiB (K/KB/M/MB/G/GB are read as
// the binary ones too), fds or threads; times s, min, h. A bare number other than 0 is
// refused: "100" alone could be per second or per minute, bytes or fds.
StatusOr<Rate> parse_rate(const std::string& text);

// The unit of a series: fds and threads count, every other series is bytes.
RateUnit unit_of_series(const std::string& series);

// Whether `rate` can be compared with values of `series` (kAny fits all).
bool rate_fits_series(const Rate& rate, const std::string& series);

// "+3.0 MiB/min", "-1.5 fds/min" (signed; per minute, as the rest of leakscope prints).
std::string format_rate(double per_s, RateUnit unit);
// A count's rate (fds, threads) per minute for printing: what rounds to 0.00 a minute is 0
// (a flat count's Theil-Sen slope is a tiny float: "-2.28e-05 fds/min" was printed).
double count_rate_per_min(double per_s);
// The same, for the unit of `series`.
std::string format_series_rate(double per_s, const std::string& series);
// Without the sign of a positive value ("270 MiB/min"), for spreads and sizes of effects.
std::string format_series_amount(double per_s, const std::string& series);

}  // namespace leakscope::analyze
