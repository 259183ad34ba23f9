// End-to-end tests of `leakscope sites`: one-line errors (no heap data, unknown pid, bad
// option), the ranking and symbolised stacks in text and JSON on a capture whose stacks
// are real return addresses of tests/programs/sym_known, symbols cached in the capture
// after the first run, --at-exit totals, and grouping by allocating function.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "e2e_util.h"
#include "heap_capture_util.h"
#include "store/capture_reader.h"

namespace leakscope::e2e {
namespace {

void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(r.err.rfind("leakscope: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

int64_t frame_symbol_rows(const std::string& path) {
  auto reader = store::CaptureReader::open(path);
  if (!reader.is_ok()) return -1;
  auto n = reader->db().query_int("SELECT COUNT(*) FROM frame_symbol");
  return n.is_ok() ? *n : -1;
}

TEST(SitesTest, CaptureWithoutHeapData) {
  TempDir tmp;
  write_heap_capture(tmp.path("cap.db"), false);
  auto r = run_command({leakscope_bin(), "sites", tmp.path("cap.db")});
  expect_one_line_error(r,
                        "has no heap data (recorded without --heap; record with "
                        "`leakscope run --heap`)");
}

TEST(SitesTest, UnknownPidAndBadOptions) {
  TempDir tmp;
  write_heap_capture(tmp.path("cap.db"));
  expect_one_line_error(run_command({leakscope_bin(), "sites", tmp.path("cap.db"), "--pid", "7"}),
                        "no process with pid 7");
  expect_one_line_error(
      run_command({leakscope_bin(), "sites", tmp.path("cap.db"), "--group", "module"}),
      "unknown --group 'module'");
  expect_one_line_error(run_command({leakscope_bin(), "sites", tmp.path("missing.db")}),
                        "missing.db");
}

TEST(SitesTest, LeakerRanksFirstWithSymbolisedStack) {
  TempDir tmp;
  HeapFixture fx = write_heap_capture(tmp.path("cap.db"));
  ASSERT_FALSE(fx.program.maps.empty());
  EXPECT_EQ(frame_symbol_rows(tmp.path("cap.db")), 0);
  auto r = run_command({leakscope_bin(), "sites", tmp.path("cap.db")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.err, "");
  // Rank 1 is the leaker, growing, and its stack names the inlined chain with lines.
  size_t first = r.out.find("\n    1  ");
  size_t second = r.out.find("\n    2  ");
  ASSERT_NE(first, std::string::npos) << r.out;
  ASSERT_NE(second, std::string::npos) << r.out;
  std::string rank1 = r.out.substr(first, second - first);
  EXPECT_NE(rank1.find("GROWING"), std::string::npos) << r.out;
  EXPECT_NE(rank1.find("stack 1"), std::string::npos) << r.out;
  const auto& v = fx.program.values.at("inline");
  EXPECT_NE(rank1.find("(inlined) inlined_leaf  sym_known.cc:" + std::to_string(v[1])),
            std::string::npos)
      << rank1;
  EXPECT_NE(rank1.find("outer_function  sym_known.cc:" + std::to_string(v[3])), std::string::npos)
      << rank1;
  EXPECT_NE(rank1.find("demo::Widget::make(int, int*)"), std::string::npos) << rank1;
  EXPECT_EQ(r.out.find("GROWING", second), std::string::npos) << r.out;
  // The symbols are now cached in the capture: every pc has rows.
  EXPECT_GT(frame_symbol_rows(tmp.path("cap.db")), 0);
  auto again = run_command({leakscope_bin(), "sites", tmp.path("cap.db")});
  EXPECT_EQ(again.out, r.out);
}

TEST(SitesTest, JsonParsesAndCarriesTheNumbers) {
  TempDir tmp;
  HeapFixture fx = write_heap_capture(tmp.path("cap.db"));
  auto r = run_command({leakscope_bin(), "sites", tmp.path("cap.db"), "--json", "--pid",
                        std::to_string(kHeapPid), "--top", "0"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["processes"].size(), 1u);
  const auto& p = j["processes"][0];
  EXPECT_EQ(p["pid"], kHeapPid);
  EXPECT_EQ(p["comm"], "sym_known");
  ASSERT_EQ(p["sites"].size(), 3u);
  const auto& top = p["sites"][0];
  EXPECT_EQ(top["stack_ids"][0], kLeakStack);
  EXPECT_TRUE(top["growing"].get<bool>());
  EXPECT_NEAR(top["rate_bytes_per_s"].get<double>(), 1000.0, 20.0);
  EXPECT_EQ(top["live_bytes"], fx.live_bytes[kLeakStack]);
  EXPECT_EQ(top["unfreed_bytes"], fx.unfreed_bytes[kLeakStack]);
  EXPECT_EQ(top["frames"][0]["function"], "inlined_leaf");
  EXPECT_TRUE(top["frames"][0]["inlined"].get<bool>());
  int64_t live = 0, alloc = 0;
  for (const auto& s : p["sites"]) {
    live += s["live_bytes"].get<int64_t>();
    alloc += s["alloc_bytes"].get<int64_t>();
    if (s["stack_ids"][0] != kLeakStack) {
      EXPECT_FALSE(s["growing"].get<bool>());
    }
  }
  EXPECT_EQ(live, fx.total_live_bytes());
  EXPECT_EQ(alloc, fx.alloc_bytes[1] + fx.alloc_bytes[2] + fx.alloc_bytes[3]);
  EXPECT_EQ(j["symbols"]["cached"], true);
}

TEST(SitesTest, AtExitListsUnfreedBlocksPerStack) {
  TempDir tmp;
  HeapFixture fx = write_heap_capture(tmp.path("cap.db"));
  auto r = run_command({leakscope_bin(), "sites", tmp.path("cap.db"), "--at-exit"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  int64_t bytes = fx.unfreed_bytes[kLeakStack] + fx.unfreed_bytes[kStartupStack];
  int64_t blocks = fx.unfreed_blocks[kLeakStack] + fx.unfreed_blocks[kStartupStack];
  EXPECT_NE(r.out.find("in use at exit: " + std::to_string(bytes) + " bytes in " +
                       std::to_string(blocks) + " blocks"),
            std::string::npos)
      << r.out;
  // Largest first: the startup block, then the leak; the churn site freed everything.
  size_t startup =
      r.out.find(std::to_string(fx.unfreed_bytes[kStartupStack]) + " bytes in 1 blocks");
  size_t leak = r.out.find(std::to_string(fx.unfreed_bytes[kLeakStack]) + " bytes in " +
                           std::to_string(fx.unfreed_blocks[kLeakStack]) + " blocks");
  ASSERT_NE(startup, std::string::npos) << r.out;
  ASSERT_NE(leak, std::string::npos) << r.out;
  EXPECT_LT(startup, leak);
  EXPECT_EQ(r.out.find("stack 3"), std::string::npos) << r.out;
}

// Sampled mode: an estimate of 0 unfreed bytes is not "nothing left": the total comes with
// the 95% interval of its sample count (Garwood's), here up to ~3.7 intervals.
TEST(SitesTest, AtExitInSampledModeGivesTheInterval) {
  TempDir tmp;
  auto run = run_command({leakscope_bin(), "run", "-q", "--heap=sample:64m", "-o",
                          tmp.path("cap.db"), "--", program("heap_basic")});
  ASSERT_EQ(run.exit_code(), 0) << run.err;
  auto r = run_command({leakscope_bin(), "sites", tmp.path("cap.db"), "--at-exit"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.out.find("in use at exit: 0 bytes in 0 blocks (estimated from samples every "
                       "64.0 MiB: 95% interval 0 B to 23"),
            std::string::npos)
      << r.out;
}

TEST(SitesTest, GroupByAllocatingFunction) {
  TempDir tmp;
  write_heap_capture(tmp.path("cap.db"));
  auto r =
      run_command({leakscope_bin(), "sites", tmp.path("cap.db"), "--group", "function", "--json"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  const auto& sites = j["processes"][0]["sites"];
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0]["key"], "inlined_leaf");
  std::set<std::string> keys;
  for (const auto& s : sites) keys.insert(s["key"].get<std::string>());
  EXPECT_EQ(keys, (std::set<std::string>{"inlined_leaf", "plain_caller",
                                         "demo::Widget::make(int, int*)"}));
}

// A capture that cannot be written is symbolised in memory, with a note saying so; the
// output is the same. (As root a 0444 file is still writable, so the file is made
// immutable instead; where neither works the test is skipped.)
TEST(SitesTest, ReadOnlyCaptureIsSymbolisedInMemory) {
  TempDir tmp;
  std::string cap = tmp.path("cap.db");
  write_heap_capture(cap);
  auto writable = run_command({leakscope_bin(), "sites", cap, "--json"});
  write_heap_capture(cap);  // again, without the cached symbols
  bool immutable = false;
  if (geteuid() == 0) {
    immutable = run_command({"chattr", "+i", cap}).exit_code() == 0;
    if (!immutable) GTEST_SKIP() << "root, and chattr +i is not available here";
  } else {
    ASSERT_EQ(chmod(cap.c_str(), 0444), 0);
  }
  auto r = run_command({leakscope_bin(), "sites", cap, "--json"});
  auto second = run_command({leakscope_bin(), "sites", cap});
  if (immutable) run_command({"chattr", "-i", cap});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.err.find("leakscope: note: symbols not cached in the capture"), std::string::npos)
      << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  auto w = nlohmann::json::parse(writable.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded() || w.is_discarded());
  EXPECT_FALSE(j["symbols"]["cached"].get<bool>());
  EXPECT_TRUE(w["symbols"]["cached"].get<bool>());
  // The same answer (pcs differ: each fixture ran the program anew, under ASLR).
  for (auto* doc : {&j, &w})
    for (auto& site : (*doc)["processes"][0]["sites"])
      for (auto& frame : site["frames"]) frame.erase("pc");
  EXPECT_EQ(j["processes"], w["processes"]);
  // Nothing was cached, so the next run symbolises (and says so) again.
  EXPECT_NE(second.err.find("symbols not cached"), std::string::npos) << second.err;
  EXPECT_EQ(frame_symbol_rows(cap), 0);
}

// The ranking target on a real program under `leakscope run --heap`: the steady
// leaker ranks first although the startup table is ten times larger than everything it
// leaks and the churn site allocates a thousand times more; at exit the unfreed bytes per
// site are exactly what the program leaked and kept.
TEST(SitesTest, RealProgramUnderRunHeap) {
  TempDir tmp;
  auto run = run_command({leakscope_bin(), "run", "--heap", "-q", "-o", tmp.path("cap.db"), "--",
                          program("sym_ranking"), "16"},
                         "", 120);
  ASSERT_EQ(run.exit_code(), 0) << run.err;
  long long leaked = 0, startup = 0;
  ASSERT_EQ(std::sscanf(run.out.c_str(), "leaked %lld startup %lld", &leaked, &startup), 2)
      << run.out;
  auto r = run_command({leakscope_bin(), "sites", tmp.path("cap.db"), "--json", "--top", "0"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["processes"].size(), 1u) << r.out;
  const auto& sites = j["processes"][0]["sites"];
  ASSERT_GE(sites.size(), 3u) << r.out;
  auto allocating = [](const nlohmann::json& site) {
    return site["frames"].empty() ? std::string()
                                  : site["frames"][0]["function"].get<std::string>();
  };
  EXPECT_EQ(allocating(sites[0]), "leak_record") << r.out;
  EXPECT_TRUE(sites[0]["growing"].get<bool>()) << r.out;
  std::map<std::string, const nlohmann::json*> by_function;
  for (const auto& s : sites) by_function[allocating(s)] = &s;
  ASSERT_TRUE(by_function.count("startup_table") && by_function.count("churn_buffer")) << r.out;
  const auto& table = *by_function["startup_table"];
  const auto& churn = *by_function["churn_buffer"];
  EXPECT_FALSE(table["growing"].get<bool>());
  EXPECT_FALSE(churn["growing"].get<bool>());
  EXPECT_GE(table["live_bytes"].get<long long>(), 10 * sites[0]["live_bytes"].get<long long>());
  EXPECT_GE(churn["alloc_bytes"].get<long long>(), 900 * sites[0]["alloc_bytes"].get<long long>());
  EXPECT_EQ(sites[0]["unfreed_bytes"].get<long long>(), leaked);
  EXPECT_EQ(table["unfreed_bytes"].get<long long>(), startup);
  EXPECT_EQ(table["unfreed_blocks"].get<long long>(), 1);
  EXPECT_EQ(churn["unfreed_bytes"].get<long long>(), 0);
  // The leaker's rate is what the program did in the window (its 10 ms steps stretch when
  // the machine is busy, so the reference is the window itself, not the nominal 10 kB/s).
  const auto& window = j["processes"][0]["window"];
  double span = window["t1_s"].get<double>() - window["t0_s"].get<double>();
  ASSERT_GT(span, 5.0);
  double gained =
      sites[0]["window_end_bytes"].get<double>() - sites[0]["window_start_bytes"].get<double>();
  double rate = sites[0]["rate_bytes_per_s"].get<double>();
  EXPECT_NEAR(rate, gained / span, 0.15 * gained / span);
  EXPECT_LT(rate, static_cast<double>(leaked) / 16.0 * 1.1);
}

}  // namespace
}  // namespace leakscope::e2e
