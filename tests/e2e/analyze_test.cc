// End-to-end tests of `leakscope analyze`: the real binary on a real recording of the
// phase_leaker program (three processes, one leaking only while `active`) and on
// synthetic captures; --json parses and names the leaker, --fail-on-growth sets the exit
// status, and bad inputs give the one-line error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../analyze/capture_shapes.h"
#include "e2e_util.h"

namespace {

using leakscope::e2e::run_command;

struct Result {
  int status = -1;
  std::string out;
};

// Runs leakscope with `args`; stdout and stderr together, as a user sees them.
Result ls(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {leakscope::e2e::leakscope_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv, "", 120);
  return {r.exit_code(), r.out + r.err};
}

std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "/e2e_analyze_" + name + "_" + std::to_string(::getpid());
}

// Records phase_leaker once for all tests of this file: 14 s, phases of 2 s, the helper
// leaks 2048 KiB/s while active (so 1024 KiB/s = 60 MiB/min on average).
const std::string& recording() {
  static std::string path = [] {
    std::string p = tmp("phase") + ".db";
    Result r = ls({"run", "-q", "-o", p, "--mark-regex", "PHASE (\\w+)", "--",
                   leakscope::e2e::program("phase_leaker"), "14", "2", "2048", "40"});
    EXPECT_EQ(r.status, 0) << r.out;
    return p;
  }();
  return path;
}

TEST(AnalyzeE2E, JsonNamesTheLeakingHelperItsRateAndPhase) {
  Result r = ls({"analyze", "--json", recording()});
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_TRUE(j["sustained_growth_found"].get<bool>());
  const nlohmann::json* helper = nullptr;
  const nlohmann::json* main_proc = nullptr;
  for (const auto& p : j["processes"]) {
    if (p["comm"] == "leaky-helper") helper = &p;
    if (p["comm"] == "phase_leaker") main_proc = &p;
  }
  ASSERT_TRUE(helper && main_proc);
  EXPECT_EQ((*helper)["state"], "sustained-growth");
  double rate = 0;
  for (const auto& s : (*helper)["series"])
    if (s["series"] == "anon") rate = s["rate_per_s"].get<double>();
  EXPECT_NEAR(rate, 1024 * 1024, 0.15 * 1024 * 1024);
  // The main process only warmed up.
  for (const auto& s : (*main_proc)["series"]) {
    if (s["series"] == "anon") {
      EXPECT_EQ(s["state"], "bounded");
    }
  }
  ASSERT_FALSE(j["tree"]["residence"].empty());
  EXPECT_EQ(j["tree"]["residence"][0]["comm"], "leaky-helper");
  // The `active` phase is where the helper grows.
  double active = 0, idle = 0;
  for (const auto& ph : j["phases"])
    for (const auto& g : ph["growth"])
      if (g["comm"] == "leaky-helper") (ph["label"] == "active" ? active : idle) = g["rate_per_s"];
  EXPECT_GT(active, 1.5 * 1024 * 1024);
  EXPECT_LT(idle, 0.25 * active);
  for (const auto& e : j["evidence"]) {
    std::string label = e["label"];
    EXPECT_TRUE(label == "MEASURED" || label == "INFERRED" || label == "ESTIMATED") << label;
  }
}

TEST(AnalyzeE2E, TextSummaryAndFailOnGrowth) {
  Result r = ls({"analyze", recording()});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("SUSTAINED GROWTH: pid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("leaky-helper"), std::string::npos);
  EXPECT_NE(r.out.find("[INFERRED]"), std::string::npos);
  EXPECT_NE(r.out.find("staircase"), std::string::npos) << r.out;
  EXPECT_EQ(ls({"analyze", "--fail-on-growth", recording()}).status, 3);
  // As of 1 s the data cannot show a leak yet.
  Result early = ls({"analyze", "--fail-on-growth", "--at", "1", recording()});
  EXPECT_EQ(early.status, 0) << early.out;
}

TEST(AnalyzeE2E, FlatCaptureExitsZeroWithFailOnGrowth) {
  leakscope::testing::CaptureShape shape;
  leakscope::testing::ShapeProcess p;
  p.pid = 42;
  p.comm = "idle";
  p.anon = [](double) { return 30.0 * 1024 * 1024; };
  shape.processes = {p};
  shape.duration_s = 120;
  std::string path = tmp("flat") + ".db";
  ASSERT_EQ(leakscope::testing::write_capture_shape(path, shape), "");
  Result r = ls({"analyze", "--fail-on-growth", path});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("NO SUSTAINED GROWTH"), std::string::npos) << r.out;
  Result one = ls({"analyze", "--json", "--pid", "42", "--series", "anon", path});
  ASSERT_EQ(one.status, 0) << one.out;
  nlohmann::json j = nlohmann::json::parse(one.out);
  ASSERT_EQ(j["processes"].size(), 1u);
  ASSERT_EQ(j["processes"][0]["series"].size(), 1u);
  EXPECT_EQ(j["processes"][0]["series"][0]["state"], "no-growth");
  ::unlink(path.c_str());
}

TEST(AnalyzeE2E, BadInputsGiveOneLineErrors) {
  Result missing = ls({"analyze", "/nonexistent/cap.db"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.out.rfind("leakscope: error: ", 0), 0u) << missing.out;
  std::string text = tmp("text") + ".db";
  std::ofstream(text) << "not a capture\n";
  Result bad = ls({"analyze", text});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.out.find("is not a leakscope capture"), std::string::npos) << bad.out;
  ::unlink(text.c_str());
  Result series = ls({"analyze", "--series", "heap", recording()});
  EXPECT_EQ(series.status, 2);
  EXPECT_NE(series.out.find("unknown --series"), std::string::npos) << series.out;
  Result pid = ls({"analyze", "--pid", "1", recording()});
  EXPECT_EQ(pid.status, 2);
  EXPECT_NE(pid.out.find("no process with the given --pid"), std::string::npos) << pid.out;
}

}  // namespace
