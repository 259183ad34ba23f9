// Symbolisation of real return addresses: tests/programs/sym_known prints its executable
// mappings and return addresses taken at known lines (a plain call, a C++ member, a call
// through two levels of inlining); the symboliser must name the functions, lines and the
// inline chain, across a shared library, a stripped binary with a separate debug file
// found by build-id, and a binary that changed or vanished since the recording.
#include "symbolize/symbolizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "sym_known_output.h"

namespace leakscope::symbolize {
namespace {

using ::testing::HasSubstr;

const std::string kProgram = std::string(LEAKSCOPE_TEST_PROGRAMS_DIR) + "/sym_known";

using ProgramOutput = leakscope::testing::SymKnownOutput;
ProgramOutput run_program() {
  return leakscope::testing::run_sym_known(kProgram);
}

// The same mappings with the program's own path replaced.
std::vector<MappedFile> with_program(std::vector<MappedFile> maps, const std::string& path,
                                     const std::string& build_id) {
  for (auto& m : maps)
    if (m.path.find("sym_known") != std::string::npos) {
      m.path = path;
      m.build_id = build_id;
    }
  return maps;
}

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

class SymbolizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = run_program();
    ASSERT_FALSE(out_.maps.empty()) << "could not run " << kProgram;
    ASSERT_EQ(out_.values["inline"].size(), 4u);
  }

  // Checks the three-frame inline chain of the "inline" return address.
  void expect_inline_chain(const PcSymbols& s) {
    const auto& v = out_.values["inline"];
    ASSERT_EQ(s.frames.size(), 3u);
    EXPECT_TRUE(s.symbolised);
    EXPECT_EQ(s.frames[0].function, "outer_function");
    EXPECT_EQ(file_name(s.frames[0].file), "sym_known.cc");
    EXPECT_EQ(s.frames[0].line, static_cast<int64_t>(v[3]));
    EXPECT_THAT(s.frames[1].function, HasSubstr("inlined_middle"));
    EXPECT_EQ(s.frames[1].line, static_cast<int64_t>(v[2]));
    EXPECT_THAT(s.frames[2].function, HasSubstr("inlined_leaf"));
    EXPECT_EQ(file_name(s.frames[2].file), "sym_known.cc");
    EXPECT_EQ(s.frames[2].line, static_cast<int64_t>(v[1]));
  }

  ProgramOutput out_;
};

TEST_F(SymbolizerTest, InlinedFramesWithCallSiteLines) {
  Symbolizer sym;
  expect_inline_chain(sym.symbolize_return_address(out_.maps, out_.values["inline"][0]));
  EXPECT_TRUE(sym.problems().empty());
}

TEST_F(SymbolizerTest, PlainFunctionAndDemangledMember) {
  Symbolizer sym;
  PcSymbols plain = sym.symbolize_return_address(out_.maps, out_.values["plain"][0]);
  ASSERT_EQ(plain.frames.size(), 1u);
  EXPECT_EQ(plain.module, "sym_known");
  EXPECT_EQ(plain.frames[0].function, "plain_caller");
  EXPECT_EQ(plain.frames[0].line, static_cast<int64_t>(out_.values["plain"][1]));

  PcSymbols member = sym.symbolize_return_address(out_.maps, out_.values["member"][0]);
  ASSERT_EQ(member.frames.size(), 1u);
  EXPECT_EQ(member.frames[0].function, "demo::Widget::make(int, int*)");
  EXPECT_EQ(member.frames[0].line, static_cast<int64_t>(out_.values["member"][1]));
}

TEST_F(SymbolizerTest, SharedLibraryBySymbolTable) {
  Symbolizer sym;
  // A function's entry address, passed as the return address just after it.
  PcSymbols s = sym.symbolize_return_address(out_.maps, out_.values["qsort"][0] + 1);
  EXPECT_EQ(s.module, "libc.so.6");
  ASSERT_FALSE(s.frames.empty());
  EXPECT_THAT(s.frames.back().function, HasSubstr("qsort"));
}

TEST_F(SymbolizerTest, AddressOutsideEveryMapping) {
  Symbolizer sym;
  PcSymbols s = sym.symbolize_return_address(out_.maps, 0x10);
  EXPECT_FALSE(s.symbolised);
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].function, "0x10");
  EXPECT_EQ(s.module, "");
}

TEST_F(SymbolizerTest, ChangedBinaryKeepsModuleAndOffset) {
  Symbolizer sym;
  auto maps = with_program(out_.maps, kProgram, "00112233445566778899aabbccddeeff00112233");
  PcSymbols s = sym.symbolize_return_address(maps, out_.values["plain"][0]);
  EXPECT_FALSE(s.symbolised);
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_THAT(s.frames[0].function, HasSubstr("sym_known+0x"));
  ASSERT_EQ(sym.problems().size(), 1u);
  EXPECT_THAT(sym.problems()[0], HasSubstr("binary changed since recording"));
}

class SeparateDebugTest : public SymbolizerTest {
 protected:
  void SetUp() override {
    SymbolizerTest::SetUp();
    char tmpl[] = "/tmp/leakscope_symtest_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto m = DwarfModule::open(kProgram, "", {});
    ASSERT_TRUE(m.is_ok()) << m.status().message();
    build_id_ = (*m)->build_id();
    ASSERT_GE(build_id_.size(), 8u) << "test program has no build-id";
    std::string debug = build_id_debug_path(dir_ + "/debug", build_id_);
    std::filesystem::create_directories(std::filesystem::path(debug).parent_path());
    stripped_ = dir_ + "/sym_known";
    std::string cmd = "objcopy --only-keep-debug '" + kProgram + "' '" + debug +
                      "' && objcopy --strip-debug '" + kProgram + "' '" + stripped_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_, build_id_, stripped_;
};

TEST_F(SeparateDebugTest, StrippedBinaryFindsDebugFileByBuildId) {
  DwarfModuleOptions options;
  options.debug_dirs = {dir_ + "/debug"};
  Symbolizer sym(options);
  auto maps = with_program(out_.maps, stripped_, build_id_);
  expect_inline_chain(sym.symbolize_return_address(maps, out_.values["inline"][0]));
}

TEST_F(SeparateDebugTest, StrippedBinaryWithoutDebugFileStillNamesFunctions) {
  DwarfModuleOptions options;
  options.debug_dirs = {dir_ + "/nothing-here"};
  Symbolizer sym(options);
  auto maps = with_program(out_.maps, stripped_, build_id_);
  PcSymbols s = sym.symbolize_return_address(maps, out_.values["plain"][0]);
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].function, "plain_caller");
  EXPECT_EQ(s.frames[0].line, 0);
}

TEST_F(SeparateDebugTest, VanishedBinaryUsesDebugFileOfRecordedBuildId) {
  DwarfModuleOptions options;
  options.debug_dirs = {dir_ + "/debug"};
  Symbolizer sym(options);
  auto maps = with_program(out_.maps, dir_ + "/gone/sym_known", build_id_);
  expect_inline_chain(sym.symbolize_return_address(maps, out_.values["inline"][0]));
  EXPECT_TRUE(sym.problems().empty());
}

}  // namespace
}  // namespace leakscope::symbolize
