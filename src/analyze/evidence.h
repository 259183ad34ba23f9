// The sentences of the verdict, each labelled: MEASURED (a direct reading of the capture),
// INFERRED (a reasoning step from named measurements) or ESTIMATED (an extrapolation, such
// as the time until a limit). Every sentence names the series and the window it rests on,
// so a reader can check it against `leakscope export`.
#pragma once

#include <string>
#include <vector>

#include "analyze/verdict.h"

namespace leakscope::analyze {

std::vector<EvidenceLine> build_evidence(const Verdict& v);

// "+3.0 MiB/min" for bytes, "+2.0 fds/min" for counts.
std::string format_rate(const SeriesResult& r, double per_s);
// "12.3 MiB" or "42 fds".
std::string format_value(const SeriesResult& r, double value);
// "1 h 23 min", "45 s", "3.2 days".
std::string format_duration(double seconds);

}  // namespace leakscope::analyze
