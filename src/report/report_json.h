// The report model as JSON (the data the HTML page draws; also `report --format json`).
// Versioned: kReportSchemaVersion changes when a field changes meaning or goes away.
#pragma once

#include <nlohmann/json.hpp>

#include "report/report_model.h"

namespace leakscope::report {

// 2: heap sites name their frames by index into the top-level "heap_frames" table.
inline constexpr int kReportSchemaVersion = 2;

nlohmann::json report_to_json(const ReportModel& model);

}  // namespace leakscope::report
