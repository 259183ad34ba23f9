// End-to-end tests of `leakscope diff` on heap sites: two captures whose stacks are real
// return addresses of tests/programs/sym_known (heap_capture_util.h) are matched site by
// site through their symbolised stacks; a capture without heap data says why sites were
// not compared. (Per-process rates on recorded captures: experiment_test.cc.)
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "e2e_util.h"
#include "heap_capture_util.h"

namespace {

using leakscope::e2e::leakscope_bin;
using leakscope::e2e::run_command;
using nlohmann::json;

TEST(DiffE2E, HeapSitesMatchedBySymbolisedStack) {
  leakscope::e2e::TempDir tmp;
  leakscope::e2e::write_heap_capture(tmp.path("a.db"));
  leakscope::e2e::write_heap_capture(tmp.path("b.db"));
  auto r = run_command({leakscope_bin(), "diff", tmp.path("a.db"), tmp.path("b.db"), "--json",
                        "--fail-if-worse", "0"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_TRUE(j["heap_compared"].get<bool>()) << j["heap_note"];
  ASSERT_FALSE(j["sites"].empty()) << r.out;
  // The steady leaker is the one site that grows; the same on both sides: no change.
  const json& leak = j["sites"][0];
  EXPECT_EQ(leak["process"], "root");
  EXPECT_NE(leak["stack"].get<std::string>().find("inlined_leaf < "), std::string::npos) << leak;
  EXPECT_NE(leak["stack"].get<std::string>().find("outer_function"), std::string::npos) << leak;
  EXPECT_EQ(leak["before"]["state"], "sustained-growth");
  EXPECT_EQ(leak["after"]["state"], "sustained-growth");
  EXPECT_DOUBLE_EQ(leak["diff_per_s"].get<double>(), 0);
  EXPECT_FALSE(leak["significant"].get<bool>());
  EXPECT_FALSE(j["worse"].get<bool>());
  auto text = run_command({leakscope_bin(), "diff", tmp.path("a.db"), tmp.path("b.db")});
  EXPECT_NE(text.out.find("Heap sites: \n  root: "), std::string::npos) << text.out;
}

TEST(DiffE2E, ProcessNeverInterposedOnOneSideHasNoSitesToCompare) {
  // Its sites are unknown there, not absent: "+0 B/min -> +X, significantly faster" would
  // be a claim without data.
  leakscope::e2e::TempDir tmp;
  leakscope::e2e::write_heap_capture(tmp.path("own.db"), true, /*not_interposed=*/true);
  leakscope::e2e::write_heap_capture(tmp.path("a.db"));
  auto r = run_command({leakscope_bin(), "diff", tmp.path("own.db"), tmp.path("a.db")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out.find("significantly faster"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("inlined_leaf"), std::string::npos) << r.out;  // the leaking site
  EXPECT_NE(r.out.find("not compared: root: no heap data in " + tmp.path("own.db") +
                       " (not-interposed: program defines its own malloc)"),
            std::string::npos)
      << r.out;
}

TEST(DiffE2E, CaptureWithoutHeapData) {
  leakscope::e2e::TempDir tmp;
  leakscope::e2e::write_heap_capture(tmp.path("a.db"));
  leakscope::e2e::write_heap_capture(tmp.path("plain.db"), false);
  auto r = run_command({leakscope_bin(), "diff", tmp.path("a.db"), tmp.path("plain.db")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.out.find("Heap sites: not compared: " + tmp.path("plain.db") +
                       " has no heap data (record with `leakscope run --heap`)"),
            std::string::npos)
      << r.out;
  auto bad = run_command({leakscope_bin(), "diff", tmp.path("a.db"), tmp.path("plain.db"),
                          "--series", "heap"});
  EXPECT_EQ(bad.exit_code(), 2);
  EXPECT_EQ(bad.err,
            "leakscope: error: unknown --series 'heap' (not a per-process series; use anon, file, "
            "shmem, swap, fds or threads)\n");
}

}  // namespace
