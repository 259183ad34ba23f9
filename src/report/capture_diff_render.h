// Output of `leakscope diff`: a text table per process and heap site (rates before and
// after with 95% intervals, the change, its p-value and whether it is worse), or JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "analyze/capture_diff.h"

namespace leakscope::report {

std::string render_diff_text(const analyze::CaptureDiff& d, bool fail_gate);
nlohmann::json diff_to_json(const analyze::CaptureDiff& d);

}  // namespace leakscope::report
