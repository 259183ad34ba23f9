// Assembles the HTML report from the page template and the inlined assets; see
// html_report.h. The page's own logic lives in src/report/web/*.js.
#include "report/html_report.h"

#include "report/report_json.h"
#include "report/web_assets.h"

namespace leakscope::report {
namespace {

// Inlined code must not contain the closing tag of the element it sits in.
std::string guard_end_tag(std::string_view code, std::string_view tag) {
  std::string out(code);
  std::string bad = "</" + std::string(tag);
  for (size_t at = out.find(bad); at != std::string::npos; at = out.find(bad, at + 3))
    out.replace(at, 2, "<\\/");
  return out;
}

// Scripts in load order: the libraries, then the page (report.js starts it).
constexpr std::string_view kScripts[] = {"uPlot.iife.min.js", "d3-hierarchy.min.js", "util.js",
                                         "charts.js",        "flame.js",            "heap.js",
                                         "report.js"};
constexpr std::string_view kStyles[] = {"uPlot.min.css", "report.css"};

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_safe_json(const nlohmann::json& j) {
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 50);
  for (char c : text) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

std::string render_html(const ReportModel& model) {
  std::string scripts, styles, licenses;
  for (auto name : kScripts)
    scripts += "<script>" + guard_end_tag(web_asset(name), "script") + "</script>\n";
  for (auto name : kStyles) styles += guard_end_tag(web_asset(name), "style") + "\n";
  for (const auto& a : web_assets())
    if (!a.license.empty() && licenses.find(a.license) == std::string::npos)
      licenses += (licenses.empty() ? "" : ", ") + std::string(a.license);
  std::string data = script_safe_json(report_to_json(model));

  // Placeholders are replaced in one pass over the template, never inside inserted text.
  std::string_view page = web_asset("page.html");
  std::string out;
  out.reserve(page.size() + scripts.size() + styles.size() + data.size());
  size_t pos = 0;
  while (true) {
    size_t at = page.find("@@", pos);
    if (at == std::string_view::npos) break;
    size_t end = page.find("@@", at + 2);
    if (end == std::string_view::npos) break;
    std::string_view key = page.substr(at + 2, end - at - 2);
    out.append(page.substr(pos, at - pos));
    if (key == "TITLE") out += html_escape("leakscope report: " + model.capture_name);
    else if (key == "STYLE") out += styles;
    else if (key == "SCRIPTS") out += scripts;
    else if (key == "DATA") out += data;
    else if (key == "LICENSES") out += html_escape(licenses);
    else out.append(page.substr(at, end + 2 - at));
    pos = end + 2;
  }
  out.append(page.substr(pos));
  return out;
}

}  // namespace leakscope::report
