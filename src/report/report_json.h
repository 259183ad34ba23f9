// The report model as JSON (the data the HTML page draws; also `report --format json`).
// Versioned: kReportSchemaVersion changes when a field changes meaning or goes away.
#pragma once

#include <nlohmann/json.hpp>

#include "report/report_model.h"

namespace leakscope::report {

inline constexpr int kReportSchemaVersion = 1;

nlohmann::json report_to_json(const ReportModel& model);

}  // namespace leakscope::report
