// The HTML report: one self-contained file (inlined styles, scripts and data; no network)
// that draws the report model with uPlot charts and d3-hierarchy flame graphs.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "report/report_model.h"

namespace leakscope::report {

std::string render_html(const ReportModel& model);

// Text for HTML element content and quoted attributes (& < > " escaped); shared by the
// report and experiment.html.
std::string html_escape(std::string_view s);

// JSON text safe inside <script type="application/json">: every '<' is written \u003c, so
// no string from the capture can close the element.
std::string script_safe_json(const nlohmann::json& j);

}  // namespace leakscope::report
