// Golden tests of the Markdown report: the synthetic capture of report_capture.h rendered
// plain and redacted must match tests/report/golden/*.md byte for byte. When the verdict
// engine or the report changes on purpose, LEAKSCOPE_UPDATE_GOLDEN=1 rewrites the files;
// review the diff before committing it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/markdown_report.h"
#include "report/report_model.h"
#include "report_capture.h"

namespace leakscope::report {
namespace {

std::string golden_path(const std::string& name) {
  return std::string(LEAKSCOPE_FIXTURES_DIR) + "/../report/golden/" + name;
}

void check_golden(const std::string& name, const std::string& text) {
  std::string path = golden_path(name);
  if (std::getenv("LEAKSCOPE_UPDATE_GOLDEN")) {
    std::ofstream(path) << text;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing " << path << " (LEAKSCOPE_UPDATE_GOLDEN=1 writes it)";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(text, want.str()) << "differs from " << path
                              << " (LEAKSCOPE_UPDATE_GOLDEN=1 rewrites it after a deliberate change)";
}

// The capture's file name shows in the report, so it is the same in every run.
std::string render(bool redact, bool heap) {
  std::string dir = ::testing::TempDir() + "/md_golden_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string p = dir + "/shop.db";
  std::string err = testing::write_report_capture(p, {.heap = heap});
  EXPECT_EQ(err, "");
  ModelOptions o;
  o.redact = redact;
  auto m = build_report_model(p, o);
  EXPECT_TRUE(m.is_ok()) << m.status().message();
  std::filesystem::remove_all(dir);
  return m.is_ok() ? render_markdown(*m) : "";
}

TEST(MarkdownGolden, Plain) { check_golden("shop.md", render(false, true)); }
TEST(MarkdownGolden, Redacted) { check_golden("shop_redacted.md", render(true, true)); }
TEST(MarkdownGolden, NoHeap) { check_golden("shop_noheap.md", render(false, false)); }

TEST(Markdown, HasTheSectionsOfABugReport) {
  std::string md = render(false, true);
  for (const char* s : {"# leakscope report: ", "## Summary", "## Evidence", "| MEASURED |",
                        "| INFERRED |", "## Processes", "└ shop-worker", "## Phases",
                        "## Top leak sites", "<details><summary>", "</details>",
                        "`Index::add_entry`", "## What this capture cannot show",
                        "## Reproduce", "```sh\n", "\nleakscope run --interval 100ms --detail-interval 1000ms --heap -o shop.db -- "})
    EXPECT_NE(md.find(s), std::string::npos) << s;
}

}  // namespace
}  // namespace leakscope::report
