// The Markdown report (`leakscope report --format md`): the same content as the HTML
// report without the charts, for pasting into an issue.
#pragma once

#include <string>

#include "report/report_model.h"

namespace leakscope::report {

std::string render_markdown(const ReportModel& model);

}  // namespace leakscope::report
