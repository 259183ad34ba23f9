// End-to-end tests of `leakscope export --format pprof|folded` on a heap capture with real
// stacks: the pprof file is gzip + profile.proto that protoc decodes against the upstream
// schema, with the expected sample types, totals equal to the capture's, and symbolised
// inline chains; the folded stacks' values add up to the table totals for every --value.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "e2e_util.h"
#include "heap_capture_util.h"

namespace leakscope::e2e {
namespace {

// Debian's golang-github-google-pprof-dev ships the schema (see the Makefile's packages).
const char* kProfileProto = "/usr/share/gocode/src/github.com/google/pprof/proto/profile.proto";

bool have_protoc() {
  return std::filesystem::exists(kProfileProto) &&
         run_command({"protoc", "--version"}).exit_code() == 0;
}

// What protoc's text output says, enough to check the profile.
struct Decoded {
  std::vector<std::string> strings;
  std::vector<std::string> sample_types;  // type names
  std::vector<std::vector<int64_t>> sample_values;
  std::string text;
};

Decoded decode(const std::string& gz_path) {
  Decoded d;
  std::string proto_dir = std::filesystem::path(kProfileProto).parent_path().string();
  auto r = run_command({"sh", "-c",
                        "gzip -dc '" + gz_path + "' | protoc --proto_path='" + proto_dir +
                            "' --decode=perftools.profiles.Profile profile.proto"});
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  d.text = r.out;
  std::istringstream in(r.out);
  std::string line;
  std::vector<int64_t> type_ids;
  std::string block;
  int depth = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.find('{') != std::string::npos) {
      if (depth == 0) {
        block = line.substr(0, line.find(' '));
        if (block == "sample") d.sample_values.emplace_back();
      }
      ++depth;
    } else if (line.find('}') != std::string::npos) {
      --depth;
    } else if (depth == 0 && std::regex_search(line, m, std::regex("^string_table: \"(.*)\"$"))) {
      d.strings.push_back(m[1]);
    } else if (depth == 1 && block == "sample_type" &&
               std::regex_search(line, m, std::regex("^\\s+type: (\\d+)"))) {
      type_ids.push_back(std::stoll(m[1]));
    } else if (depth == 1 && block == "sample" &&
               std::regex_search(line, m, std::regex("^\\s+value: (-?\\d+)"))) {
      d.sample_values.back().push_back(std::stoll(m[1]));
    }
  }
  for (int64_t id : type_ids)
    d.sample_types.push_back(id < static_cast<int64_t>(d.strings.size()) ? d.strings[id] : "?");
  return d;
}

std::map<std::string, int64_t> folded(const std::string& capture, const std::string& value) {
  auto r =
      run_command({leakscope_bin(), "export", capture, "--format", "folded", "--value", value});
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  std::map<std::string, int64_t> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    out[line.substr(0, space)] += std::stoll(line.substr(space + 1));
  }
  return out;
}

int64_t sum(const std::map<std::string, int64_t>& m) {
  int64_t s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

TEST(ExportHeapTest, PprofDecodesWithTheUpstreamSchemaAndKeepsTotals) {
  if (!have_protoc()) GTEST_SKIP() << "needs protoc and " << kProfileProto;
  TempDir tmp;
  HeapFixture fx = write_heap_capture(tmp.path("cap.db"));
  auto r = run_command({leakscope_bin(), "export", tmp.path("cap.db"), "--format", "pprof", "-o",
                        tmp.path("heap.pb.gz")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  Decoded d = decode(tmp.path("heap.pb.gz"));
  ASSERT_FALSE(d.strings.empty()) << d.text;
  EXPECT_EQ(d.strings[0], "");
  EXPECT_EQ(d.sample_types, (std::vector<std::string>{"alloc_objects", "alloc_space",
                                                      "inuse_objects", "inuse_space", "growth"}));
  ASSERT_EQ(d.sample_values.size(), 3u);  // one sample per stack
  std::vector<int64_t> totals(5, 0);
  for (const auto& v : d.sample_values) {
    ASSERT_EQ(v.size(), 5u);
    for (size_t i = 0; i < 5; ++i) totals[i] += v[i];
  }
  int64_t alloc = 0, live = 0;
  for (int64_t s : {kLeakStack, kStartupStack, kChurnStack}) {
    alloc += fx.alloc_bytes[s];
    live += fx.live_bytes[s];
  }
  EXPECT_EQ(totals[1], alloc);
  EXPECT_EQ(totals[3], live);
  // Growth: only the leaker, ~1000 B/s over the ~2 minutes of its window.
  EXPECT_GT(totals[4], 100000);
  EXPECT_LE(totals[4], fx.live_bytes[kLeakStack]);
  // Symbolised: the inline chain's functions are named, the mapping has the build-id.
  for (const char* name : {"inlined_leaf", "inlined_middle", "outer_function",
                           "demo::Widget::make(int, int*)", "plain_caller"}) {
    EXPECT_NE(std::find(d.strings.begin(), d.strings.end(), name), d.strings.end()) << name;
  }
  EXPECT_NE(std::find(d.strings.begin(), d.strings.end(), "inuse_space"), d.strings.end());
  EXPECT_NE(d.text.find("has_inline_frames: true"), std::string::npos);
  EXPECT_NE(d.text.find("default_sample_type:"), std::string::npos);
}

// When a Go toolchain is installed, `go tool pprof` itself reads the profile: the growth
// view holds only the leaker, with its inline chain.
TEST(ExportHeapTest, GoToolPprofReadsTheProfile) {
  if (run_command({"go", "version"}).exit_code() != 0) GTEST_SKIP() << "no Go toolchain";
  TempDir tmp;
  HeapFixture fx = write_heap_capture(tmp.path("cap.db"));
  ASSERT_EQ(run_command({leakscope_bin(), "export", tmp.path("cap.db"), "--format", "pprof", "-o",
                         tmp.path("heap.pb.gz")})
                .exit_code(),
            0);
  auto r = run_command(
      {"go", "tool", "pprof", "-traces", "-sample_index=growth", tmp.path("heap.pb.gz")}, "", 120,
      {"HOME=" + tmp.path("")});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.out.find("Type: growth"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inlined_leaf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(inline)"), std::string::npos) << r.out;
  auto growth =
      run_command({"go", "tool", "pprof", "-top", "-sample_index=growth", tmp.path("heap.pb.gz")},
                  "", 120, {"HOME=" + tmp.path("")});
  ASSERT_EQ(growth.exit_code(), 0) << growth.err;
  EXPECT_NE(growth.out.find("inlined_leaf"), std::string::npos) << growth.out;
  EXPECT_EQ(growth.out.find("plain_caller"), std::string::npos) << growth.out;
  auto top = run_command(
      {"go", "tool", "pprof", "-raw", "-sample_index=inuse_space", tmp.path("heap.pb.gz")}, "", 120,
      {"HOME=" + tmp.path("")});
  ASSERT_EQ(top.exit_code(), 0) << top.err;
  EXPECT_NE(top.out.find("inuse_space/bytes"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find(std::to_string(fx.live_bytes[kStartupStack])), std::string::npos)
      << top.out;
}

TEST(ExportHeapTest, FoldedSumsEqualTheTableTotals) {
  TempDir tmp;
  HeapFixture fx = write_heap_capture(tmp.path("cap.db"));
  auto live = folded(tmp.path("cap.db"), "live");
  EXPECT_EQ(sum(live), fx.total_live_bytes());
  int64_t alloc = 0, unfreed = 0;
  for (const auto& [s, v] : fx.alloc_bytes) alloc += v;
  for (const auto& [s, v] : fx.unfreed_bytes) unfreed += v;
  EXPECT_EQ(sum(folded(tmp.path("cap.db"), "alloc")), alloc);
  EXPECT_EQ(sum(folded(tmp.path("cap.db"), "unfreed")), unfreed);
  // Root first, the allocating function last; inlined frames marked "_[i]".
  std::string leak =
      "sym_known (4242);demo::Widget::make(int, int*);outer_function;"
      "inlined_middle_[i];inlined_leaf_[i]";
  ASSERT_EQ(live.count(leak), 1u);
  EXPECT_EQ(live[leak], fx.live_bytes[kLeakStack]);
  auto growth = folded(tmp.path("cap.db"), "growth");
  ASSERT_EQ(growth.size(), 1u);
  EXPECT_EQ(growth.begin()->first, leak);
}

TEST(ExportHeapTest, Errors) {
  TempDir tmp;
  write_heap_capture(tmp.path("plain.db"), false);
  auto r = run_command({leakscope_bin(), "export", tmp.path("plain.db"), "--format", "folded"});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_NE(r.err.find("has no heap data"), std::string::npos) << r.err;
  write_heap_capture(tmp.path("cap.db"));
  r = run_command(
      {leakscope_bin(), "export", tmp.path("cap.db"), "--format", "folded", "--value", "peak"});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_NE(r.err.find("unknown --value 'peak'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace leakscope::e2e
