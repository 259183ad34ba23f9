// Golden tests, capture -> JSON verdict, one per shape: each synthetic capture (written by
// the real CaptureWriter) is analysed and its JSON, with numbers rounded to 4 significant
// digits, must equal tests/analyze/golden/<shape>.json. Each test also asserts the facts
// the shape is about, so a golden file can only be refreshed (LEAKSCOPE_UPDATE_GOLDEN=1)
// to something that is still right.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "analyze/verdict.h"
#include "capture_shapes.h"

namespace leakscope::analyze {
namespace {

using testing::CaptureShape;
using testing::ShapeProcess;
constexpr double kMiB = 1024.0 * 1024.0;

std::string golden_dir() { return std::string(LEAKSCOPE_FIXTURES_DIR) + "/../analyze/golden"; }

nlohmann::json rounded(const nlohmann::json& j) {
  if (j.is_number_float()) {
    double v = j.get<double>();
    if (v == 0 || !std::isfinite(v)) return v;
    double scale = std::pow(10.0, 3 - std::floor(std::log10(std::fabs(v))));
    return std::round(v * scale) / scale;
  }
  if (j.is_array() || j.is_object()) {
    nlohmann::json out = j;
    for (auto it = out.begin(); it != out.end(); ++it) *it = rounded(*it);
    return out;
  }
  return j;
}

Verdict analyze_shape(const std::string& name, const CaptureShape& shape, nlohmann::json* json) {
  std::string path = ::testing::TempDir() + "/golden_" + name + "_" + std::to_string(::getpid()) + ".db";
  std::string err = testing::write_capture_shape(path, shape);
  EXPECT_EQ(err, "");
  auto reader = store::CaptureReader::open(path);
  EXPECT_TRUE(reader.is_ok()) << reader.status().message();
  AnalyzeOptions o;
  o.capture_path = name;
  auto v = analyze_capture(*reader, o);
  EXPECT_TRUE(v.is_ok()) << v.status().message();
  ::unlink(path.c_str());
  *json = rounded(verdict_to_json(*v));
  std::string golden = golden_dir() + "/" + name + ".json";
  if (std::getenv("LEAKSCOPE_UPDATE_GOLDEN")) {
    std::ofstream(golden) << json->dump(1) << "\n";
  } else {
    std::ifstream in(golden);
    EXPECT_TRUE(in.good()) << "missing " << golden << " (LEAKSCOPE_UPDATE_GOLDEN=1 writes it)";
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json want = nlohmann::json::parse(ss.str(), nullptr, false);
    // A short message: the diff is what matters (json_patch names the changed paths).
    EXPECT_TRUE(*json == want) << "verdict for " << name << " changed from " << golden << ": "
                               << nlohmann::json::diff(want, *json).dump().substr(0, 2000);
  }
  return std::move(v).value();
}

const SeriesVerdict* series(const ProcessVerdict& p, const std::string& name) { return p.find(name); }

ShapeProcess proc(int32_t pid, int parent, const std::string& comm) {
  ShapeProcess p;
  p.pid = pid;
  p.parent_index = parent;
  p.comm = comm;
  p.anon = [](double) { return 20 * kMiB; };
  return p;
}

TEST(VerdictGolden, WarmupThenFlat) {
  CaptureShape shape;
  ShapeProcess p = proc(100, -1, "server");
  p.anon = [](double t) { return 10 * kMiB + 100 * kMiB * (1 - std::exp(-t / 20)); };
  shape.processes = {p};
  nlohmann::json j;
  Verdict v = analyze_shape("warmup_flat", shape, &j);
  EXPECT_FALSE(v.sustained_growth_found);
  ASSERT_EQ(v.processes.size(), 1u);
  EXPECT_EQ(series(v.processes[0], "anon")->r.state, State::kBounded);
  EXPECT_EQ(j["schema_version"], 1);
}

TEST(VerdictGolden, GrowthInOneChildOnly) {
  CaptureShape shape;
  ShapeProcess root = proc(200, -1, "main");
  root.anon = [](double t) { return 30 * kMiB + 60 * kMiB * (1 - std::exp(-t / 10)); };
  ShapeProcess leaky = proc(201, 0, "worker");
  leaky.start_s = 1;
  leaky.anon = [](double t) { return 15 * kMiB + 3 * kMiB / 60 * t; };
  ShapeProcess flat = proc(202, 0, "logger");
  flat.start_s = 1;
  shape.processes = {root, leaky, flat};
  nlohmann::json j;
  Verdict v = analyze_shape("child_leak", shape, &j);
  ASSERT_TRUE(v.sustained_growth_found);
  EXPECT_EQ(v.tree.state, State::kSustainedGrowth);
  ASSERT_FALSE(v.tree.residence.empty());
  EXPECT_EQ(v.tree.residence[0].pid, 201);
  EXPECT_GT(v.tree.residence[0].share, 0.9);
  const SeriesVerdict* a = series(v.processes[1], "anon");
  ASSERT_EQ(a->r.state, State::kSustainedGrowth);
  EXPECT_NEAR(a->r.rate, 3 * kMiB / 60, 0.05 * 3 * kMiB / 60);
  EXPECT_EQ(series(v.processes[0], "anon")->r.state, State::kBounded);
  EXPECT_EQ(v.processes[1].memory_class.growth_class, "private-anonymous");
  ASSERT_TRUE(a->to_limit.has_value());
  EXPECT_EQ(a->to_limit->limit, "MemTotal");
  EXPECT_EQ(j["processes"][1]["pid"], 201);
  EXPECT_EQ(j["tree"]["residence"][0]["pid"], 201);
}

TEST(VerdictGolden, PhaseStaircase) {
  CaptureShape shape;
  ShapeProcess p = proc(300, -1, "batch");
  // Grows 6 MiB/min while `active` (the first 30 s of every minute), flat while `idle`.
  auto active_time = [](double t) {
    double cycles = std::floor(t / 60);
    return cycles * 30 + std::min(t - cycles * 60, 30.0);
  };
  p.anon = [=](double t) { return 40 * kMiB + 6 * kMiB / 60 * active_time(t); };
  p.cpu_ms = [=](double t) { return 800 * active_time(t) + 20 * t; };
  shape.processes = {p};
  for (int k = 0; k < 10; ++k) {
    shape.marks.push_back({k * 60000LL, "active", "stdout", "PHASE active"});
    shape.marks.push_back({k * 60000LL + 30000, "idle", "stdout", "PHASE idle"});
  }
  nlohmann::json j;
  Verdict v = analyze_shape("phase_staircase", shape, &j);
  const SeriesVerdict* a = series(v.processes[0], "anon");
  ASSERT_EQ(a->r.state, State::kSustainedGrowth);
  EXPECT_NEAR(a->r.rate, 3 * kMiB / 60, 0.1 * 3 * kMiB / 60);  // 6 MiB/min half the time
  ASSERT_EQ(v.phases.size(), 2u);
  EXPECT_EQ(v.phases[0].label, "active");
  double active_rate = v.phases[0].growth[1].rate, idle_rate = v.phases[1].growth[1].rate;
  EXPECT_NEAR(active_rate, 6 * kMiB / 60, 0.1 * 6 * kMiB / 60);
  EXPECT_LT(std::fabs(idle_rate), 0.05 * 6 * kMiB / 60);
  EXPECT_GT(v.phases[0].cpu_pct, 50);
  EXPECT_LT(v.phases[1].cpu_pct, 10);
  bool staircase = false;
  for (const auto& e : v.evidence) staircase = staircase || e.text.find("staircase") != std::string::npos;
  EXPECT_TRUE(staircase);
  ASSERT_TRUE(v.processes[0].busy_idle.available);
  EXPECT_GT(v.processes[0].busy_idle.busy_rate, 5 * v.processes[0].busy_idle.idle_rate);
}

TEST(VerdictGolden, FdLeak) {
  CaptureShape shape;
  ShapeProcess p = proc(400, -1, "proxy");
  p.fds = [](double t) { return 6 + std::floor(t / 10); };
  shape.processes = {p};
  nlohmann::json j;
  Verdict v = analyze_shape("fd_leak", shape, &j);
  const SeriesVerdict* f = series(v.processes[0], "fds");
  ASSERT_EQ(f->r.state, State::kSustainedGrowth);
  EXPECT_NEAR(f->r.rate, 0.1, 0.01);
  ASSERT_TRUE(f->to_limit.has_value());
  EXPECT_EQ(f->to_limit->limit, "RLIMIT_NOFILE");
  EXPECT_NEAR(f->to_limit->eta_s, (1024 - 66) / 0.1, 200);
  EXPECT_EQ(series(v.processes[0], "anon")->r.state, State::kNoGrowth);
}

TEST(VerdictGolden, SharedMemoryGrowth) {
  CaptureShape shape;
  ShapeProcess p = proc(500, -1, "db");
  p.shmem = [](double t) { return 50 * kMiB + 2 * kMiB / 60 * t; };
  shape.processes = {p};
  nlohmann::json j;
  Verdict v = analyze_shape("shmem_growth", shape, &j);
  EXPECT_EQ(series(v.processes[0], "shmem")->r.state, State::kSustainedGrowth);
  EXPECT_EQ(series(v.processes[0], "anon")->r.state, State::kNoGrowth);
  EXPECT_EQ(v.processes[0].memory_class.growth_class, "shared");
  EXPECT_FALSE(v.processes[0].memory_class.allocator_retention_suspected);
}

TEST(VerdictGolden, LeakThenStop) {
  CaptureShape shape;
  ShapeProcess p = proc(600, -1, "indexer");
  p.anon = [](double t) { return 40 * kMiB + 4 * kMiB / 60 * std::min(t, 300.0); };
  shape.processes = {p};
  nlohmann::json j;
  Verdict v = analyze_shape("leak_then_stop", shape, &j);
  EXPECT_FALSE(v.sustained_growth_found);
  EXPECT_EQ(series(v.processes[0], "anon")->r.state, State::kStoppedGrowing);
}

TEST(VerdictGolden, AllocatorRetentionSuspected) {
  CaptureShape shape;
  ShapeProcess p = proc(700, -1, "pool");
  p.anon = [](double t) { return 80 * kMiB + 5 * kMiB / 60 * t; };
  p.threads = [](double t) { return 2 + std::floor(t / 100); };
  p.arenas = [](double t) { return 1 + std::floor(t / 100); };
  shape.processes = {p};
  nlohmann::json j;
  Verdict v = analyze_shape("allocator_retention", shape, &j);
  EXPECT_EQ(series(v.processes[0], "anon")->r.state, State::kSustainedGrowth);
  EXPECT_TRUE(v.processes[0].memory_class.allocator_retention_suspected);
  EXPECT_TRUE(j["processes"][0]["memory_class"]["allocator_retention_suspected"].get<bool>());
}

// Not golden: facts only.
Verdict analyze_plain(const CaptureShape& shape) {
  std::string path = ::testing::TempDir() + "/plain_" + std::to_string(::getpid()) + ".db";
  EXPECT_EQ(testing::write_capture_shape(path, shape), "");
  auto reader = store::CaptureReader::open(path);
  EXPECT_TRUE(reader.is_ok());
  auto v = analyze_capture(*reader, AnalyzeOptions{});
  EXPECT_TRUE(v.is_ok()) << v.status().message();
  ::unlink(path.c_str());
  return std::move(v).value();
}

TEST(VerdictGolden, ExitTeardownIsNotAChangeOfRegime) {
  // A steady leaker that frees everything in its exit handlers: the recorder's last tick
  // before the exit sees the drop. The leak is what the process did while it ran.
  CaptureShape shape;
  shape.duration_s = 60;
  ShapeProcess p = proc(900, -1, "leaker");
  p.end_s = 40.1;
  p.anon = [](double t) { return t >= 39.95 ? 16 * kMiB : 0.15 * kMiB + 2 * kMiB * t; };
  shape.processes = {p};
  Verdict v = analyze_plain(shape);
  const SeriesVerdict* anon = series(v.processes[0], "anon");
  ASSERT_NE(anon, nullptr);
  EXPECT_EQ(anon->r.state, State::kSustainedGrowth);
  EXPECT_NEAR(anon->r.rate, 2 * kMiB, 0.05 * 2 * kMiB);
  EXPECT_LT(anon->r.window_t1, 39.95);
}

TEST(VerdictGolden, HeapRowsOfAProcessNotInterposedAreNoData) {
  // A static binary's heap rows are zeros: not a flat live heap, so no retention claim.
  CaptureShape shape;
  ShapeProcess p = proc(910, -1, "static");
  p.anon = [](double t) { return 40 * kMiB + 5 * kMiB / 60 * t; };
  p.live_heap = [](double) { return 0.0; };
  p.heap_status = "not-interposed: static binary";
  shape.processes = {p};
  Verdict v = analyze_plain(shape);
  EXPECT_EQ(series(v.processes[0], "anon")->r.state, State::kSustainedGrowth);
  EXPECT_FALSE(v.processes[0].memory_class.heap_data);
  EXPECT_FALSE(v.processes[0].memory_class.allocator_retention_suspected);
  // The same rows from a tracked process are a flat heap: retention.
  shape.processes[0].heap_status = "tracking";
  Verdict tracked = analyze_plain(shape);
  EXPECT_TRUE(tracked.processes[0].memory_class.heap_data);
  EXPECT_TRUE(tracked.processes[0].memory_class.allocator_retention_suspected);
}

TEST(VerdictGolden, ShmemFromStatusEveryFifthTickBeatsSparsePss) {
  // The recorder reads RssShmem (and RssFile, VmSwap) every 5th tick; PSS every few
  // seconds. A 14 s shared-memory leak was judged on PSS alone: "too few samples".
  CaptureShape shape;
  shape.duration_s = 14;
  shape.detail_ms = 2000;
  shape.status_every = 5;
  ShapeProcess p = proc(920, -1, "shm");
  p.shmem = [](double t) { return 5 * kMiB * t; };
  shape.processes = {p};
  Verdict v = analyze_plain(shape);
  const SeriesVerdict* shmem = series(v.processes[0], "shmem");
  ASSERT_NE(shmem, nullptr);
  EXPECT_EQ(shmem->r.source, "RssShmem");
  EXPECT_EQ(shmem->r.state, State::kSustainedGrowth) << shmem->r.reason;
  EXPECT_NEAR(shmem->r.rate, 5 * kMiB, 0.05 * 5 * kMiB);
}

TEST(VerdictGolden, EvaluatingAtAnEarlierTime) {
  CaptureShape shape;
  ShapeProcess p = proc(800, -1, "late");
  p.anon = [](double t) { return 40 * kMiB + (t > 300 ? 4 * kMiB / 60 * (t - 300) : 0); };
  shape.processes = {p};
  std::string path = ::testing::TempDir() + "/at_" + std::to_string(::getpid()) + ".db";
  ASSERT_EQ(testing::write_capture_shape(path, shape), "");
  auto reader = store::CaptureReader::open(path);
  ASSERT_TRUE(reader.is_ok());
  AnalyzeOptions o;
  o.at_s = 250;
  auto early = analyze_capture(*reader, o);
  ASSERT_TRUE(early.is_ok());
  EXPECT_DOUBLE_EQ(early->evaluated_at_s, 250);
  EXPECT_FALSE(early->sustained_growth_found);
  o.at_s = -1;
  auto late = analyze_capture(*reader, o);
  ASSERT_TRUE(late.is_ok());
  EXPECT_TRUE(late->sustained_growth_found);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace leakscope::analyze
