// The HTML report in a real browser: records the bundled demo (build/examples/
// leakscope_demo 25 with its PHASE marks), writes its report, and opens it in Debian's
// headless Chromium through tests/e2e/report_browser.mjs (playwright-core from the build's
// pinned node_modules) from a file:// URL with the network off. The page must load with no
// console errors and no request leaving the file, draw non-empty charts for every process,
// name the leaking process (demo-indexer) in the verdict, and its screenshots must show
// real content. The screenshots stay in <build>/test-output/report_browser/ for people.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "e2e_util.h"

namespace leakscope::e2e {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

TEST(ReportBrowser, DemoReportRendersInHeadlessChromium) {
  const std::string build = LEAKSCOPE_BUILD_DIR;
  const std::string demo = build + "/examples/leakscope_demo";
  const std::string modules = build + "/report_web/node_modules";
  ASSERT_TRUE(std::filesystem::exists(kChromium))
      << kChromium << " is missing: `make setup` installs Debian's chromium package";
  ASSERT_TRUE(std::filesystem::exists(demo)) << demo << " is missing: build the leakscope_demo target";
  ASSERT_TRUE(std::filesystem::exists(modules + "/playwright-core"))
      << "playwright-core is missing from " << modules << " (the build runs npm ci there)";

  const std::string out = build + "/test-output/report_browser";
  std::filesystem::create_directories(out);
  const std::string cap = out + "/demo.db", html = out + "/demo.html";
  auto rec = run_command({leakscope_bin(), "run", "-q", "--mark-regex", "^PHASE (\\w+)", "-o", cap,
                          "--", demo, "25"},
                         "", 120);
  ASSERT_EQ(rec.exit_code(), 0) << rec.err;
  auto rep = run_command({leakscope_bin(), "report", cap, "-o", html}, "", 120);
  ASSERT_EQ(rep.exit_code(), 0) << rep.err;

  auto browser = run_command({"node", std::string(LEAKSCOPE_SOURCE_DIR) + "/tests/e2e/report_browser.mjs",
                              modules, html, out, kChromium},
                             "", 180);
  ASSERT_EQ(browser.exit_code(), 0) << browser.err;
  auto j = nlohmann::json::parse(browser.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << browser.out << browser.err;
  ASSERT_FALSE(j.contains("failure")) << j["failure"].get<std::string>();

  EXPECT_TRUE(j["console_errors"].empty()) << j["console_errors"].dump(1);
  EXPECT_TRUE(j["page_errors"].empty()) << j["page_errors"].dump(1);
  EXPECT_TRUE(j["requests_blocked"].empty()) << j["requests_blocked"].dump(1);

  std::string verdict = j["verdict"];
  EXPECT_NE(verdict.find("demo-indexer"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("[MEASURED]"), std::string::npos) << verdict;
  EXPECT_EQ(j["kind"], "kind-growth") << verdict;

  // Every process of the demo (main, indexer, cache) has a section whose charts are drawn.
  ASSERT_GE(j["processes"].size(), 3u) << j.dump(1);
  bool indexer = false;
  for (const auto& p : j["processes"]) {
    std::string title = p["title"];
    indexer |= title.find("demo-indexer") != std::string::npos;
    ASSERT_GE(p["charts"].size(), 3u) << title;  // memory, fds, threads
    for (const auto& c : p["charts"]) {
      EXPECT_GT(c["width"].get<int>(), 300) << title;
      EXPECT_GT(c["painted"].get<int>(), 2000) << title << ": a chart canvas is (nearly) empty";
    }
  }
  EXPECT_TRUE(indexer);
  EXPECT_EQ(j["overview_svg_or_canvas"], 1);
  EXPECT_GE(j["tree_rows"].get<int>(), 3);

  // Screenshots: real content, not a blank or single-colour page.
  ASSERT_EQ(j["screenshots"].size(), 2u);
  for (const auto& s : j["screenshots"]) {
    EXPECT_GT(s["colours"].get<int>(), 200) << s.dump();
    EXPECT_GT(s["ink"].get<double>(), 0.03) << s.dump();
    EXPECT_TRUE(std::filesystem::exists(s["file"].get<std::string>()));
  }
  EXPECT_EQ(j["screenshots"][0]["width"], 1366);
  EXPECT_EQ(j["screenshots"][1]["width"], 1920);
}

}  // namespace
}  // namespace leakscope::e2e
