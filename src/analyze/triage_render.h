// The two faces of a triage report: text for a person at a terminal, and JSON
// (documented field by field in docs/triage.md) for scripts and for attaching to a bug.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "analyze/triage.h"

namespace leakscope::analyze {

inline constexpr int kTriageJsonVersion = 1;

std::string render_triage_text(const TriageReport& report);
nlohmann::json triage_to_json(const TriageReport& report);

}  // namespace leakscope::analyze
