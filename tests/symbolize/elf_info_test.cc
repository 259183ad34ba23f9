// ELF facts on real binaries: the triage target as built (-g), stripped copies of it, a
// static binary of the system, libc itself (which defines malloc), and a deleted binary
// read back through /proc/PID/exe. readelf(1) is the independent oracle for the build-id.
#include "symbolize/elf_info.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace leakscope::symbolize {
namespace {

const std::string kTarget = std::string(LEAKSCOPE_TEST_PROGRAMS_DIR) + "/triage_target";

std::string run_output(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// "Build ID: 0123..." from readelf -n; "" when readelf is missing or there is none.
std::string readelf_build_id(const std::string& path) {
  std::string out = run_output("readelf -n '" + path + "' 2>/dev/null");
  size_t at = out.find("Build ID: ");
  if (at == std::string::npos) return "";
  at += 10;
  return out.substr(at, out.find_first_of("\n ", at) - at);
}

class ElfInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/elf_info_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0); }
  std::string copy_target(const std::string& name) {
    std::string path = dir_ + "/" + name;
    EXPECT_EQ(std::system(("cp '" + kTarget + "' '" + path + "'").c_str()), 0);
    return path;
  }
  std::string dir_;
};

TEST_F(ElfInfoTest, BuiltWithSymbolsAndDebugInfo) {
  auto info = read_elf_info(kTarget);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_TRUE(info->has_symtab);
  EXPECT_TRUE(info->has_debug_info);  // tests/programs are built with -g
  EXPECT_FALSE(info->is_static);
  EXPECT_NE(info->interpreter.find("ld-linux"), std::string::npos) << info->interpreter;
  EXPECT_NE(std::find(info->needed.begin(), info->needed.end(), "libc.so.6"), info->needed.end());
  EXPECT_TRUE(info->malloc_symbols.empty());  // it calls malloc, it does not define it
  EXPECT_FALSE(info->defines("malloc"));
  ASSERT_EQ(info->build_id.size(), 40u) << info->build_id;  // sha1, the GNU ld default
  std::string oracle = readelf_build_id(kTarget);
  if (!oracle.empty()) {
    EXPECT_EQ(info->build_id, oracle);
  }
}

TEST_F(ElfInfoTest, StrippedCopies) {
  auto original = read_elf_info(kTarget);
  ASSERT_TRUE(original.is_ok());
  std::string all = copy_target("stripped_all");
  ASSERT_EQ(std::system(("strip --strip-all '" + all + "'").c_str()), 0);
  auto info = read_elf_info(all);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_FALSE(info->has_symtab);
  EXPECT_FALSE(info->has_debug_info);
  EXPECT_EQ(info->build_id, original->build_id);  // strip keeps the note
  EXPECT_FALSE(info->is_static);

  std::string debug = copy_target("stripped_debug");
  ASSERT_EQ(std::system(("strip --strip-debug '" + debug + "'").c_str()), 0);
  info = read_elf_info(debug);
  ASSERT_TRUE(info.is_ok());
  EXPECT_TRUE(info->has_symtab);
  EXPECT_FALSE(info->has_debug_info);

  std::string split = copy_target("with_debuglink");
  std::string dbg = dir_ + "/with_debuglink.debug";
  ASSERT_EQ(std::system(("objcopy --only-keep-debug '" + split + "' '" + dbg + "' && strip -g '" +
                         split + "' && objcopy --add-gnu-debuglink='" + dbg + "' '" + split + "'")
                            .c_str()),
            0);
  info = read_elf_info(split);
  ASSERT_TRUE(info.is_ok());
  EXPECT_EQ(info->debuglink, "with_debuglink.debug");
  EXPECT_FALSE(info->has_debug_info);
}

TEST_F(ElfInfoTest, LibcDefinesMalloc) {
  std::string libc;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    size_t slash = line.find('/');
    if (slash != std::string::npos && line.find("/libc.so.6") != std::string::npos) {
      libc = line.substr(slash);
      break;
    }
  }
  ASSERT_FALSE(libc.empty());
  auto info = read_elf_info(libc);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  for (const char* s : {"malloc", "free", "calloc", "realloc", "posix_memalign", "__libc_malloc"})
    EXPECT_TRUE(info->defines(s)) << s;
  EXPECT_FALSE(info->defines("mallocx"));
  EXPECT_FALSE(info->build_id.empty());
  EXPECT_TRUE(is_malloc_family_symbol("mi_malloc"));
  EXPECT_FALSE(is_malloc_family_symbol("main"));
}

TEST_F(ElfInfoTest, StaticBinary) {
  const char* candidates[] = {"/usr/sbin/ldconfig", "/sbin/ldconfig", "/bin/busybox"};
  for (const char* path : candidates) {
    auto info = read_elf_info(path);
    if (!info.is_ok() || !info->interpreter.empty() || !info->needed.empty()) continue;
    EXPECT_TRUE(info->is_static) << path;
    std::string oracle = readelf_build_id(path);
    if (!oracle.empty()) {
    EXPECT_EQ(info->build_id, oracle);
  }
    return;
  }
  GTEST_SKIP() << "no statically linked binary found on this system";
}

TEST_F(ElfInfoTest, BadInput) {
  std::string text = dir_ + "/not_elf";
  std::ofstream(text) << "#!/bin/sh\necho hi\n";
  EXPECT_EQ(read_elf_info(text).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(read_elf_info(dir_ + "/missing").status().code(), StatusCode::kNotFound);
  std::string truncated = dir_ + "/truncated";
  ASSERT_EQ(std::system(("head -c 100 '" + kTarget + "' > '" + truncated + "'").c_str()), 0);
  EXPECT_FALSE(read_elf_info(truncated).is_ok());
}

// A binary deleted after it started is still readable through /proc/PID/exe.
TEST_F(ElfInfoTest, DeletedBinaryThroughProcExe) {
  std::string path = copy_target("deleted_target");
  auto original = read_elf_info(path);
  ASSERT_TRUE(original.is_ok());
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(path.c_str(), path.c_str(), "1", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  char buf[64] = {};
  ssize_t n = read(out[0], buf, sizeof(buf) - 1);
  close(out[0]);
  ASSERT_GT(n, 0);
  ASSERT_EQ(unlink(path.c_str()), 0);
  auto info = read_elf_info("/proc/" + std::to_string(pid) + "/exe");
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_EQ(info->build_id, original->build_id);
  EXPECT_TRUE(info->has_symtab);
}

}  // namespace
}  // namespace leakscope::symbolize
