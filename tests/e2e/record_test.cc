// End-to-end tests of `leakscope run`: the capture holds every process of trees made with
// fork, vfork, exec and orphaning, with correct identities, and growth at the known rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "e2e_util.h"
#include "store/capture_reader.h"

namespace leakscope::e2e {
namespace {

using store::CaptureReader;

std::vector<const store::ProcessInfo*> by_comm(const store::CaptureMeta& m, const std::string& comm) {
  std::vector<const store::ProcessInfo*> out;
  for (const auto& p : m.processes) {
    const auto* g = m.latest_generation(p.id);
    if (g && g->comm == comm) out.push_back(&p);
  }
  return out;
}

// Slope (bytes/s) of a series over [t_from, t_to] seconds.
double slope_of(const std::vector<store::Sample>& rows, double t_from, double t_to,
                int64_t store::Sample::*field) {
  std::vector<double> x, y;
  for (const auto& s : rows) {
    double t = static_cast<double>(s.t_ms) / 1000.0;
    if (t < t_from || t > t_to || s.*field < 0) continue;
    x.push_back(t);
    y.push_back(static_cast<double>(s.*field));
  }
  return x.size() >= 5 ? ols_slope(x, y) : 0.0;
}

TEST(RecordTest, SteadyLeakRateWithinTenPercent) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  const double rate_kib = 4096;  // 4 MiB/s after a 32 MiB warm-up
  auto r = run_command({leakscope_bin(), "run", "-q", "-o", cap, "--", program("leak_rate"),
                        "4096", "6", "32"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok()) << reader.status().message();
  const auto& m = reader->meta();
  ASSERT_EQ(m.processes.size(), 1u);
  auto rows = reader->samples(m.processes[0].id);
  ASSERT_TRUE(rows.is_ok());
  ASSERT_GT(rows->size(), 40u);  // ~10 Hz for 6 s
  double slope = slope_of(*rows, 1.0, 5.5, &store::Sample::rss_anon);
  EXPECT_NEAR(slope, rate_kib * 1024, 0.10 * rate_kib * 1024) << "rss_anon slope " << slope;
  // The detailed tier recorded PSS too, with its source and read cost.
  auto details = reader->details(m.processes[0].id);
  ASSERT_TRUE(details.is_ok());
  ASSERT_GE(details->size(), 3u);
  EXPECT_EQ(details->front().source, "smaps_rollup");
  EXPECT_GE(details->front().read_us, 0);
  EXPECT_GT(details->back().pss_anon, details->front().pss_anon + 10 * 1024 * 1024);
  // Run facts and the recorder's own cost are recorded.
  EXPECT_EQ(m.run.mode, "run");
  EXPECT_EQ(m.run.tick_ms, 100);
  EXPECT_EQ(m.run.exit_code, 0);
  EXPECT_FALSE(m.run.kernel.empty());
  EXPECT_FALSE(m.recorder_stats.empty());
}

TEST(RecordTest, ForkVforkCloneExecTreeWithIdentitiesAndExitStatus) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  auto r = run_command({leakscope_bin(), "run", "-q", "-o", cap, "--", program("fork_tree"),
                        "3", "2048"});
  EXPECT_EQ(r.exit_code(), 3) << r.err;  // the target's status passes through
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  const auto& m = reader->meta();
  auto roots = by_comm(m, "fork_tree");
  auto leaky = by_comm(m, "leaky");
  auto grandchild = by_comm(m, "grandchild");
  auto sleeper = by_comm(m, "sleep");
  auto cloned = by_comm(m, "cloned");
  ASSERT_EQ(roots.size(), 1u);
  ASSERT_EQ(cloned.size(), 1u);
  EXPECT_EQ(cloned[0]->parent_id, roots[0]->id);
  ASSERT_EQ(leaky.size(), 1u);
  ASSERT_EQ(grandchild.size(), 1u);
  ASSERT_EQ(sleeper.size(), 1u);
  EXPECT_TRUE(roots[0]->is_root);
  EXPECT_EQ(leaky[0]->parent_id, roots[0]->id);
  EXPECT_EQ(sleeper[0]->parent_id, roots[0]->id);
  EXPECT_EQ(grandchild[0]->parent_id, leaky[0]->id);
  EXPECT_EQ(roots[0]->exit_code, 3);
  std::set<std::pair<int32_t, uint64_t>> identities;
  for (const auto& p : m.processes) {
    EXPECT_GT(p.start_ticks, 0u);
    EXPECT_TRUE(identities.insert({p.pid, p.start_ticks}).second);
    EXPECT_NE(p.end_state, "running");  // all exited, and the capture says so
    EXPECT_GE(p.exit_ms, 0);
  }
  // Only the leaky child grows, at the known rate.
  auto rows = reader->samples(leaky[0]->id);
  ASSERT_TRUE(rows.is_ok());
  double slope = slope_of(*rows, 0.5, 2.7, &store::Sample::rss_anon);
  EXPECT_NEAR(slope, 2048.0 * 1024, 0.10 * 2048 * 1024);
  auto root_rows = reader->samples(roots[0]->id);
  ASSERT_TRUE(root_rows.is_ok());
  EXPECT_LT(std::abs(slope_of(*root_rows, 0.5, 2.7, &store::Sample::rss_anon)), 64.0 * 1024);
}

TEST(RecordTest, ExecGenerationsOfOneProcess) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  auto r = run_command({leakscope_bin(), "run", "-q", "-o", cap, "--", program("exec_chain"), "2"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  const auto& m = reader->meta();
  ASSERT_EQ(m.processes.size(), 1u);  // same pid, same start time: one process
  std::vector<std::string> comms;
  for (const auto& g : m.generations) comms.push_back(g.comm);
  EXPECT_EQ(comms, (std::vector<std::string>{"gen2", "gen1", "gen0"}));
  EXPECT_NE(m.generations.back().cmdline.find("exec_chain 0"), std::string::npos)
      << m.generations.back().cmdline;
}

// Children too short-lived for any procfs pass still reach the capture through their heap
// data, and the footer counts them: it says how many processes the capture holds.
TEST(RecordTest, FooterCountsProcessesKnownOnlyFromHeapData) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  auto r = run_command({leakscope_bin(), "run", "--heap", "-o", cap, "--", "/bin/sh", "-c",
                        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do /bin/true; done"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  size_t n = reader->meta().processes.size();
  EXPECT_GE(n, 17u);  // the shell and its 16 children
  EXPECT_NE(r.err.find("recorded " + std::to_string(n) + " processes for"), std::string::npos)
      << r.err;
}

TEST(RecordTest, FdAndThreadLeaksAtKnownRates) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  auto r = run_command({leakscope_bin(), "run", "-q", "-o", cap, "--", program("resource_leaker"),
                        "4", "20", "5"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  auto rows = reader->samples(reader->meta().processes[0].id);
  ASSERT_TRUE(rows.is_ok());
  EXPECT_NEAR(slope_of(*rows, 0.5, 3.5, &store::Sample::fds), 20.0, 2.0);
  EXPECT_NEAR(slope_of(*rows, 0.5, 3.5, &store::Sample::threads), 5.0, 0.5);
}

TEST(RecordTest, ZombiesAndOrphansStayInTheTree) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  auto r = run_command({leakscope_bin(), "run", "-q", "-o", cap, "--", program("zombie_orphan")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok());
  const auto& m = reader->meta();
  auto zombie = by_comm(m, "zombie");
  auto orphan = by_comm(m, "orphan");
  auto middle = by_comm(m, "middle");
  ASSERT_EQ(zombie.size(), 1u);
  ASSERT_EQ(orphan.size(), 1u);
  ASSERT_EQ(middle.size(), 1u);
  EXPECT_EQ(orphan[0]->parent_id, middle[0]->id);
  // The orphan outlived its parent and kept being sampled after the reparenting.
  EXPECT_GT(orphan[0]->exit_ms, middle[0]->exit_ms + 500);
  bool zombie_noted = false;
  for (const auto& n : m.notes) zombie_noted |= n.kind == "zombie" && n.process_id == zombie[0]->id;
  EXPECT_TRUE(zombie_noted);
  // Reaped by its parent later: it ended as a zombie, then was seen gone.
  EXPECT_EQ(zombie[0]->end_state, "exited");
  // Its exit time is when it died (~0.3 s), not when its parent reaped it (~1.2 s).
  EXPECT_GE(zombie[0]->exit_ms, 250);
  EXPECT_LT(zombie[0]->exit_ms, 1100);
  auto orphan_rows = reader->samples(orphan[0]->id);
  ASSERT_TRUE(orphan_rows.is_ok());
  int64_t peak = 0;
  for (const auto& s : *orphan_rows) peak = std::max(peak, s.rss_anon);
  EXPECT_GT(peak, 7 << 20);
}

TEST(RecordTest, SurvivesSigkillOfLeakscope) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  pid_t pid = spawn_background({leakscope_bin(), "run", "-q", "-o", cap, "--",
                                program("leak_rate"), "1024", "30"});
  usleep(2500 * 1000);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  auto reader = CaptureReader::open(cap);
  ASSERT_TRUE(reader.is_ok()) << reader.status().message();
  ASSERT_EQ(reader->meta().processes.size(), 1u);
  auto rows = reader->samples(reader->meta().processes[0].id);
  ASSERT_TRUE(rows.is_ok());
  // Flushed every second: at least the first ~1.5 s of the 2.5 s are there.
  ASSERT_FALSE(rows->empty());
  EXPECT_GE(rows->back().t_ms, 1400);
  EXPECT_EQ(reader->meta().run.end_ms, store::kNone);
  // The target outlives leakscope (leakscope never kills it); clean it up.
  system(("pkill -f '" + program("leak_rate") + " 1024 30'").c_str());
}

}  // namespace
}  // namespace leakscope::e2e
