// The report model and its HTML and JSON forms on the synthetic capture of
// report_capture.h: the verdict names the leaking worker, the charts carry the fitted
// slope and phases, the heap section ranks the leak first with symbolised frames and
// flame graphs, the gaps are listed honestly, the HTML is one self-contained file, and
// with --redact no identity of the capture survives in any format.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "report/html_report.h"
#include "report/markdown_report.h"
#include "report/report.h"
#include "report/report_json.h"
#include "report/report_model.h"
#include "report_capture.h"

namespace leakscope::report {
namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/report_model_" + name + "_" + std::to_string(::getpid()) + ".db";
}

const std::string& capture() {
  static std::string path = [] {
    std::string p = temp_path("main");
    std::string err = testing::write_report_capture(p);
    EXPECT_EQ(err, "");
    return p;
  }();
  return path;
}

const ProcessReport* find(const ReportModel& m, int32_t pid) {
  for (const auto& p : m.processes)
    if (p.pid == pid) return &p;
  return nullptr;
}

TEST(ReportModel, NamesTheLeakingWorkerWithItsRate) {
  auto m = build_report_model(capture(), {});
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  EXPECT_EQ(m->verdict_kind, "growth");
  ASSERT_FALSE(m->headline.empty());
  EXPECT_NE(m->headline.front().find("shop-worker"), std::string::npos) << m->headline.front();
  const ProcessReport* w = find(*m, testing::kWorkerPid);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->state, "sustained-growth");
  EXPECT_EQ(w->depth, 1);
  EXPECT_EQ(w->memory_source, "Pss");
  EXPECT_GT(w->peak_memory, 20 << 20);
  // Memory, fds and threads charts; the anon line has the verdict's fitted slope.
  ASSERT_EQ(w->charts.size(), 3u);
  const Chart& mem = w->charts[0];
  EXPECT_EQ(mem.id, "memory");
  const ChartLine* anon = nullptr;
  for (const auto& l : mem.lines)
    if (l.name == "anon") anon = &l;
  ASSERT_NE(anon, nullptr);
  EXPECT_EQ(anon->state, "sustained-growth");
  ASSERT_TRUE(std::isfinite(anon->fit_t0));
  // 256 KiB/s for 6 of every 10 s: about 9 MiB/min on average.
  double per_min = anon->rate * 60 / (1 << 20);
  EXPECT_NEAR(per_min, 9.0, 1.5);
  EXPECT_NEAR((anon->fit_v1 - anon->fit_v0) / (anon->fit_t1 - anon->fit_t0), anon->rate, 1e-6);
  EXPECT_FALSE(m->phases.empty());
  EXPECT_EQ(m->phases.front().label, "active");
}

TEST(ReportModel, HeapSitesRankTheLeakFirstWithFramesAndFlames) {
  auto m = build_report_model(capture(), {});
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  ASSERT_EQ(m->heap.size(), 1u);
  const HeapReport& h = m->heap[0];
  EXPECT_EQ(h.pid, testing::kWorkerPid);
  ASSERT_FALSE(h.sites.empty());
  const SiteReport& top = h.sites[0];
  EXPECT_TRUE(top.growing);
  ASSERT_FALSE(top.frames.empty());
  EXPECT_EQ(top.frames[0].function, "Index::add_entry");
  EXPECT_EQ(top.frames[0].where, "worker.cc:100");
  EXPECT_FALSE(top.t.empty());
  EXPECT_EQ(top.t.size(), top.live.size());
  // Flames: the root holds everything, outermost frame (main) below it.
  ASSERT_FALSE(h.growth_flame.children.empty());
  EXPECT_EQ(h.growth_flame.children[0].name, "main");
  EXPECT_GT(h.growth_flame.value, 0);
  EXPECT_GE(h.unfreed_flame.value, 4 << 20);
}

TEST(ReportModel, ListsWhatTheCaptureCannotShow) {
  std::string p = temp_path("gaps");
  ASSERT_EQ(testing::write_report_capture(p, {.heap = false, .finished = false, .detail = false}), "");
  auto m = build_report_model(p, {});
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  std::string all;
  for (const auto& g : m->cannot_show) all += g + "\n";
  EXPECT_NE(all.find("No heap data"), std::string::npos) << all;
  EXPECT_NE(all.find("No PSS"), std::string::npos) << all;
  EXPECT_NE(all.find("did not finish"), std::string::npos) << all;
  EXPECT_NE(all.find("pid 4103 (shop-helper) could not be read"), std::string::npos) << all;
  EXPECT_TRUE(m->heap.empty());
  std::filesystem::remove(p);

  auto full = build_report_model(capture(), {});
  ASSERT_TRUE(full.is_ok());
  for (const auto& g : full->cannot_show) {
    EXPECT_EQ(g.find("No heap data"), std::string::npos) << g;
    EXPECT_EQ(g.find("did not finish"), std::string::npos) << g;
  }
}

TEST(ReportModel, SecretsAreMaskedEvenWithoutRedaction) {
  auto m = build_report_model(capture(), {});
  ASSERT_TRUE(m.is_ok());
  std::string md = render_markdown(*m);
  std::string html = render_html(*m);
  for (const std::string& text : {md, html}) {
    EXPECT_EQ(text.find(testing::kReportSecret), std::string::npos);
    EXPECT_EQ(text.find(testing::kReportToken), std::string::npos);
  }
  EXPECT_NE(md.find("--password=&lt;masked&gt;"), std::string::npos);
  // Not redacted: the host name is still there.
  EXPECT_NE(md.find(testing::kReportHost), std::string::npos);
}

TEST(ReportModel, RedactionLeavesNoIdentityInAnyFormat) {
  ModelOptions o;
  o.redact = true;
  auto m = build_report_model(capture(), o);
  ASSERT_TRUE(m.is_ok());
  EXPECT_TRUE(m->redacted);
  EXPECT_NE(m->redaction_summary.find("host name"), std::string::npos) << m->redaction_summary;
  std::string json = report_to_json(*m).dump();
  for (const std::string& text : {render_markdown(*m), render_html(*m), json}) {
    for (const char* gone : {"alice", "buildbox-7", "10.20.30.40", "2001:db8:85a3", "@example.com",
                             "/home/", testing::kReportSecret, testing::kReportToken})
      EXPECT_EQ(text.find(gone), std::string::npos) << gone;
  }
  EXPECT_NE(json.find("<home>"), std::string::npos);
  EXPECT_NE(json.find("<ip-1>"), std::string::npos);
  EXPECT_NE(json.find("<email-1>"), std::string::npos);
  // v1.2.3.4 in the config path is a version, not an address.
  EXPECT_NE(json.find("v1.2.3.4"), std::string::npos);
}

TEST(HtmlReport, IsOneSelfContainedFile) {
  auto m = build_report_model(capture(), {});
  ASSERT_TRUE(m.is_ok());
  std::string html = render_html(*m);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // No external resources of any kind.
  for (const char* bad : {"src=\"http", "href=\"http", "src=\"//", "@import", "<link ", "url(http"})
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  EXPECT_NE(html.find("uPlot"), std::string::npos);
  EXPECT_NE(html.find("d3-hierarchy"), std::string::npos);
  EXPECT_NE(html.find("LS.flameGraph"), std::string::npos);
  EXPECT_EQ(html.find("@@"), std::string::npos);
  // The data parses back, and no capture string can close the script element.
  size_t a = html.find("<script type=\"application/json\" id=\"leakscope-data\">");
  ASSERT_NE(a, std::string::npos);
  a = html.find('>', a) + 1;
  size_t b = html.find("</script>", a);
  auto j = nlohmann::json::parse(html.substr(a, b - a), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["schema"], kReportSchemaVersion);
  EXPECT_EQ(j["processes"].size(), 3u);
}

TEST(HtmlReport, ScriptSafeJsonEscapesTags) {
  nlohmann::json j = {{"x", "</script><script>alert(1)</script>"}};
  std::string s = script_safe_json(j);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(s)["x"], "</script><script>alert(1)</script>");
}

TEST(WriteReport, WritesEachFormatAndRefusesUnknownOnes) {
  std::string dir = ::testing::TempDir();
  for (const char* format : {"html", "md", "json"}) {
    ReportOptions o;
    o.format = format;
    o.output = dir + "/report_model_out." + format;
    ReportResult r;
    ASSERT_TRUE(write_report(capture(), o, &r).is_ok()) << format;
    EXPECT_GT(r.bytes, 1000u);
    EXPECT_EQ(std::filesystem::file_size(o.output), r.bytes);
    std::filesystem::remove(o.output);
  }
  ReportOptions bad;
  bad.format = "pdf";
  bad.output = dir + "/x.pdf";
  Status s = write_report(capture(), bad);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("pdf"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(bad.output));
  EXPECT_EQ(format_for_path("a/b.md"), "md");
  EXPECT_EQ(format_for_path("r.HTML"), "");
}

}  // namespace
}  // namespace leakscope::report
