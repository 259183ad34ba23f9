// End-to-end tests of `leakscope report` and `leakscope export --format chrome-trace` with
// the real binary: on a real recording (which must never hold the target's environment),
// and on a heap capture whose stacks symbolise to real functions; plus the one-line errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "e2e_util.h"
#include "heap_capture_util.h"

namespace leakscope::e2e {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult ls(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {leakscope_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, "", 120, env);
}

const std::string kCanary = "canary-7f3a9c1e-environ-value";

// One short recording of phase_leaker for the tests of this file, with a variable in the
// target's environment that must not reach the capture.
const std::string& recording() {
  static TempDir dir;
  static std::string path = [] {
    std::string p = dir.path("phase.db");
    auto r = ls({"run", "-q", "-o", p, "--mark-regex", "PHASE (\\w+)", "--", program("phase_leaker"),
                 "6", "2", "2048", "16"},
                {"LEAKSCOPE_TEST_CANARY=" + kCanary});
    EXPECT_EQ(r.exit_code(), 0) << r.err;
    return p;
  }();
  return path;
}

TEST(ReportE2E, CaptureNeverStoresTheEnvironment) {
  const std::string& cap = recording();
  std::string bytes = slurp(cap);
  ASSERT_GT(bytes.size(), 4096u);
  // The check can see strings: the command line is in the file...
  EXPECT_NE(bytes.find("phase_leaker"), std::string::npos);
  // ...the variable's value and name are not (nor in a WAL left beside it).
  EXPECT_EQ(bytes.find(kCanary), std::string::npos);
  EXPECT_EQ(bytes.find("LEAKSCOPE_TEST_CANARY"), std::string::npos);
  for (const char* suffix : {"-wal", "-journal"}) {
    if (std::filesystem::exists(cap + suffix)) {
      EXPECT_EQ(slurp(cap + suffix).find(kCanary), std::string::npos);
    }
  }
}

TEST(ReportE2E, WritesHtmlMarkdownAndJson) {
  TempDir out;
  auto r = ls({"report", recording(), "-o", out.path("r.html")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.err.find("wrote " + out.path("r.html")), std::string::npos) << r.err;
  std::string html = slurp(out.path("r.html"));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("leaky-helper"), std::string::npos);

  r = ls({"report", recording(), "--format", "md", "-o", "-"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.out.find("## Summary"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("leaky-helper"), std::string::npos);
  EXPECT_NE(r.out.find("No heap data"), std::string::npos);

  // The format follows the output's extension.
  r = ls({"report", recording(), "-o", out.path("r.json"), "--redact"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto j = nlohmann::json::parse(slurp(out.path("r.json")), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_TRUE(j["redacted"].get<bool>());
  EXPECT_EQ(j["processes"].size(), 3u);
}

TEST(ReportE2E, ChromeTraceExportLoadsAsJson) {
  TempDir out;
  auto r = ls({"export", recording(), "--format", "chrome-trace", "-o", out.path("t.json")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto j = nlohmann::json::parse(slurp(out.path("t.json")), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  size_t counters = 0, instants = 0, names = 0;
  for (const auto& e : j["traceEvents"]) {
    counters += e["ph"] == "C";
    instants += e["ph"] == "i";
    names += e["ph"] == "M" && e["name"] == "process_name";
  }
  EXPECT_EQ(names, 3u);
  EXPECT_GT(counters, 100u);
  EXPECT_GE(instants, 2u);  // PHASE marks every 2 s
}

TEST(ReportE2E, HeapCaptureShowsSymbolisedSites) {
  TempDir dir;
  HeapFixture fx = write_heap_capture(dir.path("heap.db"));
  ASSERT_FALSE(fx.program.maps.empty());
  auto r = ls({"report", dir.path("heap.db"), "--format", "md", "-o", "-"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.out.find("## Top leak sites"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("outer_function"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sym_known.cc:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("No heap data"), std::string::npos);
}

TEST(ReportE2E, BadInputGivesOneLineErrors) {
  TempDir dir;
  auto r = ls({"report", dir.path("missing.db"), "-o", dir.path("x.html")});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(r.err.rfind("leakscope: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path("x.html")));

  r = ls({"report", recording(), "--format", "pdf"});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(r.err.rfind("leakscope: error: ", 0), 0u) << r.err;

  r = ls({"report", recording(), "-o", dir.path("no/such/folder/r.html")});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace leakscope::e2e
