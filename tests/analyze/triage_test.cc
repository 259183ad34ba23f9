// Triage on made-up inputs (every rule just below and at its threshold, allocator
// detection, arena heaps, mapping groups, fd joins, limits and cgroup parsing, JSON), and
// once on this live test process.
#include "analyze/triage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "analyze/triage_collect.h"
#include "analyze/triage_interpret.h"
#include "analyze/triage_render.h"

namespace leakscope::analyze {
namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr uint64_t kArena = procfs::kGlibcArenaSize;

procfs::Mapping mapping(uint64_t start, uint64_t end, const char* perms, const char* path = "",
                        int64_t rss = 0) {
  procfs::Mapping m;
  m.start = start;
  m.end = end;
  m.perms = perms;
  m.path = path;
  m.size = static_cast<int64_t>(end - start);
  m.rss = m.pss = rss;
  return m;
}

procfs::FdEntry fd_entry(int fd, const std::string& target) {
  procfs::FdEntry e;
  e.fd = fd;
  e.target = target;
  e.link = procfs::classify_fd_link(target);
  return e;
}

// A plain glibc process: libc mapped, nothing crossing any threshold.
TriageInputs healthy() {
  TriageInputs in;
  in.pid = 42;
  in.status.vm_rss = in.status.vm_hwm = 100 * kMiB;
  in.status.rss_anon = 80 * kMiB;
  in.status.vm_data = 120 * kMiB;
  in.status.vm_swap = 0;
  in.status.threads = 3;
  in.mappings.push_back(mapping(0x400000, 0x401000, "r-xp", "/usr/bin/app", 4096));
  in.mappings.push_back(mapping(0x7f0000000000, 0x7f0000100000, "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", kMiB));
  in.mappings.push_back(mapping(0x7f0000100000, 0x7f0000104000, "rw-p", "/usr/lib/x86_64-linux-gnu/libc.so.6", 16384));
  in.nofile_soft = 1024;
  in.nofile_hard = 4096;
  in.sockets_ok = true;
  return in;
}

bool has(const TriageReport& r, const std::string& id) {
  return std::any_of(r.interpretations.begin(), r.interpretations.end(),
                     [&](const Interpretation& i) { return i.id == id; });
}

const Interpretation* find(const TriageReport& r, const std::string& id) {
  for (const auto& i : r.interpretations) {
    if (i.id == id) return &i;
  }
  return nullptr;
}

TEST(TriageTest, HealthyProcessHasNoInterpretations) {
  TriageReport r = build_triage(healthy());
  EXPECT_TRUE(r.interpretations.empty());
  EXPECT_EQ(r.allocator.primary, "glibc");
  EXPECT_EQ(r.memory.source, "smaps");  // no rollup given: summed from the mappings
  EXPECT_EQ(r.memory.smaps.rss, 4096 + kMiB + 16384);
}

TEST(TriageTest, HwmAboveRssThresholds) {
  TriageInputs in = healthy();
  in.status.vm_rss = 200 * kMiB;
  in.status.vm_hwm = 300 * kMiB - 1;  // ratio just under 1.5
  EXPECT_FALSE(has(build_triage(in), "hwm_above_rss"));
  in.status.vm_hwm = 300 * kMiB;
  const TriageReport r = build_triage(in);
  ASSERT_TRUE(has(r, "hwm_above_rss"));
  EXPECT_EQ(find(r, "hwm_above_rss")->facts[0], "VmHWM 300.0 MiB");
  in.status.vm_rss = 10 * kMiB;  // ratio large, but only 63 MiB apart
  in.status.vm_hwm = 73 * kMiB;
  EXPECT_FALSE(has(build_triage(in), "hwm_above_rss"));
}

TEST(TriageTest, ArenaHeapsFound) {
  std::vector<procfs::Mapping> maps;
  uint64_t base = 0x7f0000000000;  // 64 MiB-aligned
  maps.push_back(mapping(base, base + 2 * kMiB, "rw-p", "", 2 * kMiB));         // heap + reserve
  maps.push_back(mapping(base + 2 * kMiB, base + kArena, "---p"));
  maps.push_back(mapping(base + kArena, base + 2 * kArena, "rw-p", "", kMiB));  // full heap
  maps.push_back(mapping(base + 2 * kArena, base + 2 * kArena + kMiB, "rw-p"));  // reserve merged
  maps.push_back(mapping(base + 2 * kArena + kMiB, base + 3 * kArena + 8 * kMiB, "---p"));
  maps.push_back(mapping(base + 4 * kArena, base + 4 * kArena + kMiB, "rw-p"));  // reserve too short
  maps.push_back(mapping(base + 4 * kArena + kMiB, base + 4 * kArena + 32 * kMiB, "---p"));
  maps.push_back(mapping(base + 5 * kArena + 4096, base + 5 * kArena + kMiB, "rw-p"));  // unaligned
  maps.push_back(mapping(base + 6 * kArena, base + 6 * kArena + kMiB, "rw-p", "/data/file"));
  maps.push_back(mapping(base + 6 * kArena + kMiB, base + 7 * kArena, "---p"));
  maps.push_back(mapping(base + 8 * kArena, base + 8 * kArena + kMiB, "rw-p"));  // no reserve after
  std::vector<size_t> heaps = find_arena_heaps(maps);
  EXPECT_EQ(heaps, (std::vector<size_t>{0, 2, 3}));
}

TEST(TriageTest, GlibcArenasRuleNeedsCountAndGlibc) {
  TriageInputs in = healthy();
  uint64_t base = 0x7e0000000000;
  for (int i = 0; i < kArenaHeapsMin; ++i) {
    uint64_t s = base + static_cast<uint64_t>(i) * kArena;
    in.mappings.push_back(mapping(s, s + 4 * kMiB, "rw-p", "", 4 * kMiB));
    in.mappings.push_back(mapping(s + 4 * kMiB, s + kArena, "---p"));
  }
  std::sort(in.mappings.begin(), in.mappings.end(),
            [](const procfs::Mapping& a, const procfs::Mapping& b) { return a.start < b.start; });
  TriageReport r = build_triage(in);
  EXPECT_EQ(r.arenas.heaps, kArenaHeapsMin);
  EXPECT_EQ(r.arenas.rss, kArenaHeapsMin * 4 * kMiB);
  ASSERT_TRUE(has(r, "glibc_arenas"));
  EXPECT_NE(find(r, "glibc_arenas")->text.find("MALLOC_ARENA_MAX"), std::string::npos);
  // One heap fewer: below the threshold.
  in.mappings.erase(in.mappings.begin(), in.mappings.begin() + 2);
  EXPECT_FALSE(has(build_triage(in), "glibc_arenas"));
  // The same shape under jemalloc says nothing about glibc.
  in = healthy();
  for (int i = 0; i < 6; ++i) {
    uint64_t s = base + static_cast<uint64_t>(i) * kArena;
    in.mappings.push_back(mapping(s, s + kArena, "rw-p"));
  }
  in.mappings.push_back(mapping(0x7f1000000000, 0x7f1000100000, "r-xp", "/usr/lib/libjemalloc.so.2"));
  in.allocator_libraries.push_back({"/usr/lib/libjemalloc.so.2", 1});
  r = build_triage(in);
  EXPECT_EQ(r.allocator.primary, "jemalloc");
  EXPECT_EQ(r.arenas.heaps, 6);
  EXPECT_FALSE(has(r, "glibc_arenas"));
}

TEST(TriageTest, AllocatorDetection) {
  EXPECT_EQ(allocator_of_library("/usr/lib/x86_64-linux-gnu/libc.so.6"), "glibc");
  EXPECT_EQ(allocator_of_library("/lib/libc-2.31.so"), "glibc");
  EXPECT_EQ(allocator_of_library("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.9"), "tcmalloc");
  EXPECT_EQ(allocator_of_library("/opt/lib/libmimalloc.so.2.1"), "mimalloc");
  EXPECT_EQ(allocator_of_library("/lib/ld-musl-x86_64.so.1"), "musl");
  EXPECT_EQ(allocator_of_library("/usr/lib/libcrypto.so.3"), "");
  EXPECT_EQ(allocator_of_library("/usr/lib/libcurl.so.4"), "");

  TriageInputs in = healthy();
  in.mappings.push_back(mapping(0x7f2000000000, 0x7f2000100000, "r-xp", "/usr/lib/libtcmalloc.so.4"));
  in.allocator_libraries.push_back({"/usr/lib/libtcmalloc.so.4", 0});  // does not define malloc
  AllocatorReport a = detect_allocator(in);
  EXPECT_EQ(a.primary, "glibc");
  ASSERT_EQ(a.found.size(), 2u);
  in.allocator_libraries[0].defines_malloc = -1;  // unreadable: assumed to
  a = detect_allocator(in);
  EXPECT_EQ(a.primary, "tcmalloc");
  EXPECT_NE(a.basis.find("assumed"), std::string::npos);

  // jemalloc linked into the executable and defining malloc wins over libc.
  in = healthy();
  in.elf_ok = true;
  in.elf.malloc_symbols = {"free", "malloc", "mallctl", "mallocx"};
  a = detect_allocator(in);
  EXPECT_EQ(a.primary, "jemalloc");
  EXPECT_NE(a.basis.find("executable defines"), std::string::npos);
  // Prefixed jemalloc (je_malloc) without malloc: both are there, malloc stays glibc's.
  in.elf.malloc_symbols = {"je_malloc"};
  a = detect_allocator(in);
  EXPECT_EQ(a.primary, "glibc");
  EXPECT_EQ(a.found.back().name, "jemalloc");
  EXPECT_FALSE(a.found.back().replaces_malloc);
  // An own malloc with no known marker.
  in.elf.malloc_symbols = {"free", "malloc"};
  EXPECT_EQ(detect_allocator(in).primary, "custom");
  // Static glibc binary: nothing mapped, the symbols tell.
  in.mappings.resize(1);
  in.elf.is_static = true;
  in.elf.malloc_symbols = {"__libc_malloc", "free", "malloc"};
  EXPECT_EQ(detect_allocator(in).primary, "glibc");
  // Static and stripped: nothing can tell.
  in.elf.malloc_symbols.clear();
  in.elf.has_symtab = false;
  a = detect_allocator(in);
  EXPECT_EQ(a.primary, "unknown");
  EXPECT_NE(a.basis.find("stripped"), std::string::npos);
}

TEST(TriageTest, FdsJoinedWithSocketTables) {
  TriageInputs in = healthy();
  in.fds = {fd_entry(0, "/dev/null"), fd_entry(1, "pipe:[7]"), fd_entry(3, "socket:[100]"),
            fd_entry(4, "socket:[101]"), fd_entry(5, "socket:[102]"), fd_entry(6, "socket:[999]"),
            fd_entry(7, "/var/log/a.log"), fd_entry(8, "/var/log/a.log"), fd_entry(9, "/var/log/a.log"),
            fd_entry(10, "/tmp/x (deleted)")};
  procfs::SocketInfo s;
  s.protocol = procfs::SocketProtocol::kTcp;
  s.inode = 100;
  s.state = 10;
  in.sockets.push_back(s);
  s.inode = 101;
  s.state = 8;
  s.local = "10.0.0.1:80";
  s.remote = "10.0.0.2:5555";
  in.sockets.push_back(s);
  s.protocol = procfs::SocketProtocol::kUnix;
  s.inode = 102;
  s.state = 3;
  in.sockets.push_back(s);
  TriageReport r = build_triage(in);
  EXPECT_EQ(r.fds.total, 10);
  EXPECT_EQ(r.fds.by_type.at("socket"), 4);
  EXPECT_EQ(r.fds.by_type.at("file"), 3);
  EXPECT_EQ(r.fds.socket_protocols.at("tcp"), 2);
  EXPECT_EQ(r.fds.socket_protocols.at("unix"), 1);
  EXPECT_EQ(r.fds.socket_protocols.at("other"), 1);  // inode 999 is in no table
  EXPECT_EQ(r.fds.tcp_states.at("LISTEN"), 1);
  EXPECT_EQ(r.fds.tcp_states.at("CLOSE_WAIT"), 1);
  ASSERT_EQ(r.fds.close_wait.size(), 1u);
  EXPECT_EQ(r.fds.close_wait[0], "10.0.0.1:80 -> 10.0.0.2:5555");
  ASSERT_FALSE(r.fds.repeated_targets.empty());
  EXPECT_EQ(r.fds.repeated_targets[0], (std::pair<std::string, int>("/var/log/a.log", 3)));
  ASSERT_TRUE(has(r, "close_wait"));
  EXPECT_EQ(find(r, "close_wait")->text, "1 socket in CLOSE_WAIT: the peer closed, this process has not");
  EXPECT_TRUE(has(r, "deleted_files_open"));
  EXPECT_FALSE(has(r, "fd_near_limit"));  // 10 of 1024

  in.nofile_soft = 13;  // 10 < 0.8 * 13
  EXPECT_FALSE(has(build_triage(in), "fd_near_limit"));
  in.nofile_soft = 12;  // 10 >= 9.6
  EXPECT_TRUE(has(build_triage(in), "fd_near_limit"));
  in.fds.pop_back();  // 9 < 9.6
  EXPECT_FALSE(has(build_triage(in), "fd_near_limit"));

  in.sockets_ok = false;  // tables unreadable: no guesses about the sockets
  r = build_triage(in);
  EXPECT_TRUE(r.fds.socket_protocols.empty());
  EXPECT_FALSE(has(r, "close_wait"));
}

TEST(TriageTest, MemoryRules) {
  TriageInputs in = healthy();
  in.status.rss_anon = 100 * kMiB;
  in.status.vm_data = 356 * kMiB - 1;
  EXPECT_FALSE(has(build_triage(in), "vmdata_reserved"));
  in.status.vm_data = 356 * kMiB;
  EXPECT_TRUE(has(build_triage(in), "vmdata_reserved"));

  in.status.vm_swap = kMiB - 1024;
  EXPECT_FALSE(has(build_triage(in), "swap_in_use"));
  in.status.vm_swap = kMiB;
  EXPECT_TRUE(has(build_triage(in), "swap_in_use"));

  in.rollup_ok = true;
  in.rollup.pss = 200 * kMiB;
  in.rollup.pss_shmem = 100 * kMiB - 1;
  EXPECT_FALSE(has(build_triage(in), "shmem_dominant"));
  in.rollup.pss_shmem = 100 * kMiB;
  TriageReport r = build_triage(in);
  EXPECT_TRUE(has(r, "shmem_dominant"));
  EXPECT_EQ(r.memory.source, "smaps_rollup");

  in.cgroup = {2, "/app.slice", true, 1000 * kMiB, 899 * kMiB};
  EXPECT_FALSE(has(build_triage(in), "cgroup_near_limit"));
  in.cgroup.current = 900 * kMiB;
  EXPECT_TRUE(has(build_triage(in), "cgroup_near_limit"));
  in.cgroup.limited = false;
  EXPECT_FALSE(has(build_triage(in), "cgroup_near_limit"));
}

TEST(TriageTest, MappingGroupsAndDeviceMemory) {
  TriageInputs in = healthy();
  in.mappings.push_back(mapping(0x10000000, 0x10400000, "rw-p", "[heap]", 3 * kMiB));
  in.mappings.push_back(mapping(0x7f5000000000, 0x7f5008000000, "rw-s", "/dev/nvidia0", 64 * kMiB));
  in.mappings.push_back(mapping(0x7f5008000000, 0x7f5009000000, "rw-s", "/dev/dri/renderD128", kMiB));
  in.mappings.push_back(mapping(0x7f6000000000, 0x7f6000200000, "rw-p", "", 2 * kMiB));
  in.mappings.push_back(mapping(0x7f6000300000, 0x7f6000400000, "rw-p", "", kMiB));
  in.mappings.push_back(mapping(0x7f7000000000, 0x7f7000100000, "rw-s", "/dev/shm/pool", kMiB));
  TriageReport r = build_triage(in);
  ASSERT_FALSE(r.mappings.empty());
  EXPECT_EQ(r.mappings[0].kind, "device");  // largest RSS first
  EXPECT_EQ(r.mappings[0].count, 2);
  EXPECT_EQ(r.mappings[0].largest[0].name, "/dev/nvidia0");
  auto group = [&](const std::string& kind) {
    for (const auto& g : r.mappings) {
      if (g.kind == kind) return g;
    }
    return MappingGroup{};
  };
  EXPECT_EQ(group("file").count, 3);
  ASSERT_EQ(group("file").largest.size(), 2u);  // libc's two mappings summed under one path
  EXPECT_EQ(group("file").largest[0].count, 2);
  EXPECT_EQ(group("anonymous").largest.size(), 2u);  // anonymous regions stay apart
  EXPECT_EQ(group("anonymous").largest[0].name, "anon 0x7f6000000000");
  EXPECT_EQ(group("heap").rss, 3 * kMiB);
  EXPECT_EQ(group("shared").count, 1);
  ASSERT_TRUE(has(r, "device_memory"));
  in.mappings[4].rss = 62 * kMiB;  // with /dev/dri: 63 MiB, under 64
  EXPECT_FALSE(has(build_triage(in), "device_memory"));
}

TEST(TriageTest, LimitsAndCgroupParsing) {
  int64_t soft = 0, hard = 0;
  const char* limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max processes             96365                96365                processes \n"
      "Max open files            1024                 524288               files     \n";
  ASSERT_TRUE(parse_nofile_limits(limits, &soft, &hard));
  EXPECT_EQ(soft, 1024);
  EXPECT_EQ(hard, 524288);
  ASSERT_TRUE(parse_nofile_limits("Max open files            unlimited            unlimited            files\n", &soft, &hard));
  EXPECT_EQ(soft, kMissing);
  EXPECT_FALSE(parse_nofile_limits("Max processes 1 1\n", &soft, &hard));
  EXPECT_FALSE(parse_nofile_limits("Max open files  abc 12\n", &soft, &hard));

  CgroupMemory cg;
  ASSERT_TRUE(find_memory_cgroup("0::/user.slice/app.service\n", &cg));
  EXPECT_EQ(cg.version, 2);
  EXPECT_EQ(cg.path, "/user.slice/app.service");
  cg = {};
  ASSERT_TRUE(find_memory_cgroup("9:name=systemd:/\n4:memory:/pa/08a2\n0::/\n", &cg));
  EXPECT_EQ(cg.version, 1);
  EXPECT_EQ(cg.path, "/pa/08a2");
  cg = {};
  ASSERT_TRUE(find_memory_cgroup("5:cpu,memory:/a:b\n", &cg));
  EXPECT_EQ(cg.path, "/a:b");
  EXPECT_FALSE(find_memory_cgroup("3:cpu:/\n", &cg));
  EXPECT_FALSE(find_memory_cgroup("", &cg));
}

TEST(TriageTest, CgroupMemoryFiles) {
  char tmpl[] = "/tmp/triage_cgroup.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  ASSERT_EQ(std::system(("mkdir -p " + root + "/app " + root + "/memory/app").c_str()), 0);
  std::ofstream(root + "/app/memory.max") << "max\n";
  std::ofstream(root + "/app/memory.current") << "1048576\n";
  std::ofstream(root + "/memory/app/memory.limit_in_bytes") << "9223372036854771712\n";
  std::ofstream(root + "/memory/app/memory.usage_in_bytes") << "2097152\n";
  CgroupMemory v2{2, "/app", false, kMissing, kMissing};
  ASSERT_TRUE(read_cgroup_memory(root, &v2).is_ok());
  EXPECT_FALSE(v2.limited);
  EXPECT_EQ(v2.current, kMiB);
  CgroupMemory v1{1, "/app", false, kMissing, kMissing};
  ASSERT_TRUE(read_cgroup_memory(root, &v1).is_ok());
  EXPECT_FALSE(v1.limited);  // v1's "no limit" is a huge number
  EXPECT_EQ(v1.current, 2 * kMiB);
  std::ofstream(root + "/app/memory.max") << "536870912\n";
  ASSERT_TRUE(read_cgroup_memory(root, &v2).is_ok());
  EXPECT_TRUE(v2.limited);
  EXPECT_EQ(v2.max, 512 * kMiB);
  CgroupMemory missing{2, "/nope", false, kMissing, kMissing};
  EXPECT_FALSE(read_cgroup_memory(root, &missing).is_ok());
  ASSERT_EQ(std::system(("rm -rf " + root).c_str()), 0);
}

TEST(TriageTest, JsonAndText) {
  TriageInputs in = healthy();
  in.status.vm_swap = kMissing;
  in.status.vm_hwm = 400 * kMiB;
  in.fds = {fd_entry(0, "/dev/null")};
  TriageReport r = build_triage(in);
  nlohmann::json j = triage_to_json(r);
  EXPECT_EQ(j["format"], "leakscope-triage");
  EXPECT_EQ(j["version"], kTriageJsonVersion);
  EXPECT_EQ(j["identity"]["pid"], 42);
  EXPECT_TRUE(j["identity"]["binary"].is_null());  // no ELF read
  EXPECT_EQ(j["allocator"]["primary"], "glibc");
  EXPECT_TRUE(j["memory"]["vm_swap"].is_null());
  EXPECT_EQ(j["memory"]["vm_hwm"], 400 * kMiB);
  EXPECT_EQ(j["fds"]["by_type"]["device"], 1);
  EXPECT_EQ(j["limits"]["nofile_soft"], 1024);
  EXPECT_TRUE(j["limits"]["cgroup"].is_null());
  ASSERT_EQ(j["interpretations"].size(), 1u);
  EXPECT_EQ(j["interpretations"][0]["id"], "hwm_above_rss");
  EXPECT_FALSE(j["interpretations"][0]["rule"].get<std::string>().empty());
  EXPECT_EQ(j["interpretations"][0]["facts"][0], "VmHWM 400.0 MiB");
  std::string text = render_triage_text(r);
  EXPECT_NE(text.find("VmHWM far above RSS"), std::string::npos);
  EXPECT_NE(text.find("based on: VmHWM 400.0 MiB; VmRSS 100.0 MiB"), std::string::npos);
  EXPECT_NE(text.find("rule: VmHWM >= 1.5 x VmRSS"), std::string::npos);
}

TEST(TriageTest, LiveSelf) {
  auto r = triage_process(getpid());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->identity.pid, getpid());
  EXPECT_EQ(r->identity.ppid, getppid());
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe));
  ASSERT_GT(n, 0);
  EXPECT_EQ(r->identity.exe, std::string(exe, static_cast<size_t>(n)));
  EXPECT_TRUE(r->identity.elf_ok);
  EXPECT_FALSE(r->identity.build_id.empty());
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(r->allocator.primary, "asan");  // the sanitizer runtime replaces malloc
#elif defined(__SANITIZE_THREAD__)
  EXPECT_EQ(r->allocator.primary, "tsan");
#else
  EXPECT_EQ(r->allocator.primary, "glibc");
#endif
  EXPECT_GE(r->threads, 1);
  EXPECT_GE(r->fds.total, 3);
  EXPECT_GT(r->memory.smaps.pss, 0);
  EXPECT_GT(r->identity.start_unix_ns, 0);

  auto gone = triage_process(4194304 + 7);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("no process"), std::string::npos);
}

}  // namespace
}  // namespace leakscope::analyze
