// The chrome-trace export: valid JSON in the Trace Event Format, one process_name per
// recorded process, counter tracks per process and series whose values are those of the
// capture (repeats left out, the last value kept), one global instant event per mark, and
// redaction applied to names and labels.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "report/report.h"
#include "report_capture.h"
#include "store/capture_reader.h"

namespace leakscope::report {
namespace {

struct Trace {
  nlohmann::json j;
  std::string text;
};

Trace export_trace(bool redact) {
  std::string base = ::testing::TempDir() + "/trace_" + std::to_string(::getpid()) + (redact ? "_r" : "");
  EXPECT_EQ(testing::write_report_capture(base + ".db"), "");
  auto r = export_chrome_trace(base + ".db", base + ".json", redact);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  std::ifstream in(base + ".json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove((base + ".db").c_str());
  std::remove((base + ".json").c_str());
  return {nlohmann::json::parse(ss.str(), nullptr, false), ss.str()};
}

TEST(ChromeTrace, IsValidTraceEventJson) {
  Trace t = export_trace(false);
  ASSERT_FALSE(t.j.is_discarded()) << t.text.substr(0, 500);
  ASSERT_TRUE(t.j["traceEvents"].is_array());
  EXPECT_EQ(t.j["displayTimeUnit"], "ms");
  for (const auto& e : t.j["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph"));
    ASSERT_TRUE(e.contains("pid"));
    ASSERT_TRUE(e.contains("name"));
    if (e["ph"] != "M") {
      ASSERT_TRUE(e["ts"].is_number_integer());
    }
  }
}

TEST(ChromeTrace, CounterTracksPerProcessAndInstantEventsPerMark) {
  Trace t = export_trace(false);
  std::map<int, std::string> names;
  std::map<int, std::set<std::string>> tracks;
  std::map<std::pair<int, std::string>, std::vector<std::pair<int64_t, int64_t>>> values;
  int instants = 0;
  for (const auto& e : t.j["traceEvents"]) {
    int pid = e["pid"];
    if (e["ph"] == "M" && e["name"] == "process_name") names[pid] = e["args"]["name"];
    if (e["ph"] == "C") {
      tracks[pid].insert(e["name"]);
      const auto& args = e["args"];
      ASSERT_EQ(args.size(), 1u);
      values[{pid, e["name"]}].push_back({e["ts"], args.begin().value().get<int64_t>()});
    }
    if (e["ph"] == "i") {
      ++instants;
      EXPECT_EQ(e["s"], "g");
      EXPECT_EQ(e["cat"], "phase");
      EXPECT_TRUE(e["name"] == "active" || e["name"] == "idle") << e.dump();
    }
  }
  EXPECT_EQ(names.size(), 3u);
  EXPECT_EQ(names[testing::kWorkerPid], "shop-worker (pid 4102)");
  for (int pid : {4100, 4102, 4103})
    for (const char* series : {"rss", "rss_anon", "pss", "fds", "threads"})
      EXPECT_TRUE(tracks[pid].count(series)) << pid << " " << series;
  EXPECT_TRUE(tracks[testing::kWorkerPid].count("heap_live"));
  // 12 active + 12 idle marks over 120 s.
  EXPECT_EQ(instants, 24);
  // A constant counter is written once at the start and once at the end.
  auto& fds = values[{4100, "fds"}];
  ASSERT_EQ(fds.size(), 2u);
  EXPECT_EQ(fds.front().first, 0);
  EXPECT_EQ(fds.front().second, 16);
  EXPECT_EQ(fds.back().first, 120000000);
  EXPECT_EQ(fds.back().second, 16);
  // The leaking worker's anon counter ends where the capture ends.
  auto reader_path = ::testing::TempDir() + "/trace_check_" + std::to_string(::getpid()) + ".db";
  ASSERT_EQ(testing::write_report_capture(reader_path), "");
  auto reader = store::CaptureReader::open(reader_path);
  ASSERT_TRUE(reader.is_ok());
  int64_t worker_id = 0;
  for (const auto& p : reader->meta().processes)
    if (p.pid == testing::kWorkerPid) worker_id = p.id;
  auto samples = reader->samples(worker_id);
  ASSERT_TRUE(samples.is_ok());
  const auto& anon = values[{testing::kWorkerPid, "rss_anon"}];
  EXPECT_EQ(anon.back().second, samples->back().rss_anon);
  std::remove(reader_path.c_str());
}

TEST(ChromeTrace, RedactionAppliesToNamesAndLabels) {
  Trace t = export_trace(true);
  ASSERT_FALSE(t.j.is_discarded());
  for (const char* gone : {"alice", "buildbox-7", "10.20.30.40", "@example.com", testing::kReportSecret,
                           testing::kReportToken})
    EXPECT_EQ(t.text.find(gone), std::string::npos) << gone;
  EXPECT_TRUE(t.j["otherData"]["redacted"].get<bool>());
}

}  // namespace
}  // namespace leakscope::report
