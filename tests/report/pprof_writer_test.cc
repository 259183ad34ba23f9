// The profile.proto encoder: gzip output that zlib inflates back, and a message protoc
// decodes against the upstream schema with every field where it was put (string table
// interning, packed repeated values including negative int64, inline lines innermost
// first, labels, mappings).
#include "report/pprof_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace leakscope::report {
namespace {

const char* kProfileProto = "/usr/share/gocode/src/github.com/google/pprof/proto/profile.proto";

std::string gunzip(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string protoc_decode(const std::string& raw) {
  std::string dir =
      std::filesystem::temp_directory_path() / ("leakscope_pprof_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/p.pb", std::ios::binary) << raw;
  std::string cmd =
      "protoc --proto_path=" + std::filesystem::path(kProfileProto).parent_path().string() +
      " --decode=perftools.profiles.Profile profile.proto < " + dir + "/p.pb";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0);
  }
  std::filesystem::remove_all(dir);
  return out;
}

PprofBuilder small_profile() {
  PprofBuilder b;
  b.add_sample_type("alloc_space", "bytes");
  b.add_sample_type("growth", "bytes");
  b.set_default_sample_type("alloc_space");
  b.set_period("space", "bytes", 524288);
  b.set_time(1700000000000000000LL, 5000000000LL);
  b.add_comment("hello");
  uint64_t m = b.add_mapping({0x400000, 0x401000, 0x1000, "/bin/app", "abcd", true});
  uint64_t leaf = b.add_location(m, 0x400123, {{"inner", "a.c", 7}, {"outer", "a.c", 20}});
  uint64_t root = b.add_location(0, 0x7f0000000000, {});
  b.add_sample({leaf, root}, {300, -5}, {{"pid", "", 42}, {"comm", "app", 0}});
  b.add_sample({root}, {1}, {});  // short value lists are padded with zeros
  return b;
}

TEST(PprofWriterTest, GzipRoundTrip) {
  std::string raw = small_profile().serialize();
  auto gz = gzip_compress(raw);
  ASSERT_TRUE(gz.is_ok());
  ASSERT_GE(gz->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  EXPECT_EQ(gunzip(*gz), raw);
}

TEST(PprofWriterTest, ProtocDecodesEveryField) {
  if (!std::filesystem::exists(kProfileProto) || std::system("protoc --version >/dev/null 2>&1"))
    GTEST_SKIP() << "needs protoc and " << kProfileProto;
  std::string text = protoc_decode(small_profile().serialize());
  // String table: "" first, then in order of first use.
  EXPECT_NE(text.find("string_table: \"\"\nstring_table: \"alloc_space\"\nstring_table: \"bytes\""
                      "\nstring_table: \"growth\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sample_type {\n  type: 1\n  unit: 2\n}"), std::string::npos) << text;
  EXPECT_NE(text.find("location_id: 1\n  location_id: 2\n  value: 300\n  value: -5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("value: 1\n  value: 0"), std::string::npos) << text;
  EXPECT_NE(text.find("label {\n    key:"), std::string::npos) << text;
  EXPECT_NE(text.find("num: 42"), std::string::npos) << text;
  EXPECT_NE(text.find("memory_start: 4194304\n  memory_limit: 4198400\n  file_offset: 4096"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("has_inline_frames: true"), std::string::npos) << text;
  // Location 1: two lines, the inlined function first; functions get ids 1 and 2.
  EXPECT_NE(text.find("address: 4194595\n  line {\n    function_id: 1\n    line: 7\n  }\n"
                      "  line {\n    function_id: 2\n    line: 20\n  }"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("period: 524288"), std::string::npos) << text;
  EXPECT_NE(text.find("time_nanos: 1700000000000000000"), std::string::npos) << text;
  EXPECT_NE(text.find("default_sample_type: 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace leakscope::report
