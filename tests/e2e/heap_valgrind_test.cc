// End-to-end: each heap test program runs under `leakscope run --heap` and under valgrind
// (memcheck, --trace-children=yes), and the blocks still allocated when each process exits
// must be the same: valgrind's "in use at exit" (= definitely + indirectly + possibly lost
// + still reachable + suppressed, checked below) against the capture's heap_unfreed rows.
//
// valgrind runs with --run-libc-freeres=no --run-cxx-freeres=no: by default it calls
// glibc's and libstdc++'s cleanup hooks before its leak check (which free stdio buffers and
// the C++ exception pool), something no real run of the program does. Without them both
// tools count what the program itself left allocated.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "e2e_util.h"
#include "heap_programs.h"
#include "store/capture_reader.h"
#include "store/heap_reader.h"

namespace leakscope::e2e {
namespace {

struct ProcessEnd {
  std::string program;  // the process's comm: basename of the executable, 15 bytes at most
  int64_t bytes = 0;
  int64_t blocks = 0;
  bool operator<(const ProcessEnd& o) const {
    return std::tie(program, bytes, blocks) < std::tie(o.program, o.bytes, o.blocks);
  }
  bool operator==(const ProcessEnd& o) const {
    return program == o.program && bytes == o.bytes && blocks == o.blocks;
  }
};

std::ostream& operator<<(std::ostream& os, const ProcessEnd& e) {
  return os << e.program << ": " << e.bytes << " bytes in " << e.blocks << " blocks";
}

std::string basename_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string comm_of(const std::string& path) { return basename_of(path).substr(0, 15); }

int64_t number(const std::string& text) {
  std::string digits;
  for (char c : text)
    if (c >= '0' && c <= '9') digits += c;
  return digits.empty() ? 0 : std::stoll(digits);
}

bool valgrind_available() {
  return run_command({"valgrind", "--version"}, "", 30).exit_code() == 0;
}

// Runs argv under valgrind; one ProcessEnd per process that printed a heap summary.
std::vector<ProcessEnd> valgrind_ends(const std::vector<std::string>& argv, const TempDir& tmp) {
  std::vector<std::string> cmd = {"valgrind", "--leak-check=full", "--show-leak-kinds=all",
                                  "--run-libc-freeres=no", "--run-cxx-freeres=no",
                                  "--trace-children=yes", "--log-file=" + tmp.path("vg.%p")};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  run_command(cmd, "", 120);
  std::vector<ProcessEnd> out;
  DIR* d = opendir(tmp.dir().c_str());
  std::vector<std::string> logs;
  while (d != nullptr) {
    struct dirent* e = readdir(d);
    if (e == nullptr) break;
    if (std::string(e->d_name).rfind("vg.", 0) == 0) logs.push_back(tmp.path(e->d_name));
  }
  if (d) closedir(d);
  std::regex in_use(R"(in use at exit: ([\d,]+) bytes in ([\d,]+) blocks)");
  std::regex kind(R"((definitely lost|indirectly lost|possibly lost|still reachable|suppressed): ([\d,]+) bytes in ([\d,]+) blocks)");
  for (const auto& log : logs) {
    std::ifstream in(log);
    std::string line, command;
    ProcessEnd end;
    bool found = false;
    int64_t kinds_bytes = 0, kinds_blocks = 0;
    while (std::getline(in, line)) {
      auto pos = line.find("Command: ");
      if (pos != std::string::npos) {
        std::istringstream words(line.substr(pos + 9));
        words >> command;
      }
      std::smatch m;
      if (std::regex_search(line, m, in_use)) {
        end.bytes = number(m[1]);
        end.blocks = number(m[2]);
        found = true;
      }
      if (std::regex_search(line, m, kind)) {
        kinds_bytes += number(m[2]);
        kinds_blocks += number(m[3]);
      }
    }
    if (!found) continue;
    // With no leaks at all valgrind prints no leak summary; otherwise its five kinds add
    // up to what was in use at exit.
    if (kinds_blocks != 0 || end.blocks == 0) {
      EXPECT_EQ(kinds_bytes, end.bytes) << log;
      EXPECT_EQ(kinds_blocks, end.blocks) << log;
    }
    end.program = comm_of(command);
    out.push_back(end);
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct HeapRun {
  CommandResult result;
  std::vector<ProcessEnd> ends;                 // processes whose heap was tracked
  std::map<std::string, std::string> status;    // program -> heap_process.status
  std::map<std::string, int64_t> mmap_live;     // program -> last mmap_live_bytes
};

// `before`: words in front of leakscope itself, e.g. {"env", "LD_PRELOAD=..."}.
HeapRun leakscope_ends(const std::vector<std::string>& argv, const TempDir& tmp,
                       const std::string& mode = "--heap",
                       const std::vector<std::string>& before = {}) {
  HeapRun run;
  std::string cap = tmp.path("cap.db");
  std::vector<std::string> cmd = before;
  for (const std::string& w : {leakscope_bin(), std::string("run"), std::string("-q"), mode,
                               std::string("-o"), cap, std::string("--")})
    cmd.push_back(w);
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  run.result = run_command(cmd, "", 120);
  auto reader = store::CaptureReader::open(cap);
  EXPECT_TRUE(reader.is_ok()) << reader.status().message() << "\n" << run.result.err;
  if (!reader.is_ok()) return run;
  auto heap = store::read_heap_data(*reader);
  EXPECT_TRUE(heap.is_ok()) << heap.status().message();
  if (!heap.is_ok()) return run;
  const auto& meta = reader->meta();
  for (const auto& hp : heap->processes) {
    // comm rather than exe: a process that exits right after an exec may be recorded
    // before its exe link could be read, but its comm is always there.
    const auto* gen = meta.latest_generation(hp.process_id);
    std::string program = gen ? (gen->comm.empty() ? comm_of(gen->exe) : gen->comm) : "?";
    run.status[program] = hp.status;
    auto totals = store::read_heap_totals(*reader, hp.process_id);
    if (totals.is_ok() && !totals->empty()) run.mmap_live[program] = totals->back().mmap_live_bytes;
    if (hp.status != "tracking") continue;
    ProcessEnd end{program, 0, 0};
    for (const auto& u : heap->unfreed) {
      if (u.process_id != hp.process_id) continue;
      EXPECT_TRUE(u.at_exit) << program << " ended after the recording";
      end.bytes += u.bytes;
      end.blocks += u.blocks;
    }
    run.ends.push_back(end);
  }
  std::sort(run.ends.begin(), run.ends.end());
  return run;
}

class HeapVsValgrind : public ::testing::TestWithParam<HeapProgram> {};

TEST_P(HeapVsValgrind, UnfreedAtExitEqualsValgrind) {
  if (!valgrind_available()) GTEST_SKIP() << "valgrind is not installed (make setup installs it)";
  const HeapProgram& c = GetParam();
  std::vector<std::string> argv = {program(c.name)};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  TempDir ours, theirs;
  HeapRun run = leakscope_ends(argv, ours);
  std::vector<ProcessEnd> expected = valgrind_ends(argv, theirs);
  ASSERT_FALSE(expected.empty()) << "valgrind printed no heap summary";
  EXPECT_EQ(run.ends, expected) << run.result.err;
}

INSTANTIATE_TEST_SUITE_P(Programs, HeapVsValgrind,
                         ::testing::ValuesIn(heap_programs_valgrind_can_check()),
                         heap_program_name);

// Sampled mode with a 1-byte interval records every block of one byte or more, with
// weight 1, through the sampled paths (the set of sampled pointers, the free filter, the
// single-thread count and its hand-over to per-thread counts, passes without a flusher
// thread): what is left at exit must be what full tracking finds.
class HeapSampledEveryByte : public ::testing::TestWithParam<HeapProgram> {};

TEST_P(HeapSampledEveryByte, UnfreedAtExitEqualsFullTracking) {
  const HeapProgram& c = GetParam();
  std::vector<std::string> argv = {program(c.name)};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  TempDir full_dir, sampled_dir;
  HeapRun full = leakscope_ends(argv, full_dir);
  HeapRun sampled = leakscope_ends(argv, sampled_dir, "--heap=sample:1");
  ASSERT_FALSE(full.ends.empty()) << full.result.err;
  EXPECT_EQ(sampled.ends, full.ends) << sampled.result.err;
  EXPECT_EQ(sampled.result.exit_code(), full.result.exit_code());
  EXPECT_EQ(sampled.result.term_signal(), full.result.term_signal());
}

INSTANTIATE_TEST_SUITE_P(Programs, HeapSampledEveryByte,
                         ::testing::ValuesIn(heap_programs_valgrind_can_check()),
                         heap_program_name);

TEST(HeapEnds, SigkillKeepsWhatWasFlushed) {
  // Nothing runs at SIGKILL; the flusher sent the events before it. valgrind cannot see a
  // SIGKILL either: its reference is the same program ending with _exit instead.
  if (!valgrind_available()) GTEST_SKIP() << "valgrind is not installed";
  TempDir ours, theirs;
  HeapRun run = leakscope_ends({program("heap_sigkill")}, ours);
  EXPECT_EQ(run.result.term_signal(), SIGKILL);
  EXPECT_EQ(run.ends, valgrind_ends({program("heap_sigkill"), "exit"}, theirs));
}

TEST(HeapEnds, PvallocCountsAWholePage) {
  // valgrind 3.19 aborts the program at pvalloc: compare with the run without it.
  TempDir with, without;
  HeapRun a = leakscope_ends({program("heap_aligned")}, with);
  HeapRun b = leakscope_ends({program("heap_aligned"), "no-pvalloc"}, without);
  ASSERT_EQ(a.ends.size(), 1u);
  ASSERT_EQ(b.ends.size(), 1u);
  EXPECT_EQ(a.ends[0].blocks, b.ends[0].blocks + 1);
  EXPECT_EQ(a.ends[0].bytes, b.ends[0].bytes + ::sysconf(_SC_PAGESIZE));
}

TEST(HeapEnds, StaticBinaryIsRecordedAsNotInterposed) {
  TempDir tmp;
  HeapRun run = leakscope_ends({program("heap_static")}, tmp);
  EXPECT_EQ(run.result.exit_code(), 0);
  EXPECT_EQ(run.status["heap_static"], "not-interposed: static binary");
  EXPECT_TRUE(run.ends.empty());
}

TEST(HeapEnds, OwnMallocIsRecordedAsNotInterposed) {
  // The program's malloc wins every lookup, glibc's calls included: an LD_PRELOAD library
  // never sees an allocation (valgrind rewrites the functions themselves and does).
  TempDir tmp;
  HeapRun run = leakscope_ends({program("heap_own_malloc")}, tmp);
  EXPECT_EQ(run.result.exit_code(), 0);
  EXPECT_EQ(run.status["heap_own_malloc"], "not-interposed: program defines its own malloc");
  EXPECT_TRUE(run.ends.empty());
  // Said once (not with -q), and recorded as a note.
  auto loud = run_command({leakscope_bin(), "run", "--heap", "-o", tmp.path("loud.db"), "--",
                           program("heap_own_malloc")});
  size_t first = loud.err.find("cannot interpose malloc");
  ASSERT_NE(first, std::string::npos) << loud.err;
  EXPECT_EQ(loud.err.find("cannot interpose malloc", first + 1), std::string::npos) << loud.err;
  // `sites` says there is no data rather than "0 bytes in use at exit".
  for (const std::string flag : {"--at-exit", "--top=5"}) {
    auto sites = run_command({leakscope_bin(), "sites", tmp.path("loud.db"), flag});
    EXPECT_EQ(sites.exit_code(), 0) << sites.err;
    EXPECT_NE(sites.out.find("no allocation data"), std::string::npos) << sites.out;
    EXPECT_EQ(sites.out.find("in use at exit"), std::string::npos) << sites.out;
  }
}

TEST(HeapEnds, NonPieProgramTakingMallocsAddressIsTracked) {
  // Its symbol table lists malloc, undefined, at its PLT stub, which dlsym(RTLD_DEFAULT)
  // returns: that is not a malloc of its own (Debian's python3 and node look like this).
  TempDir tmp;
  HeapRun run = leakscope_ends({program("heap_nopie")}, tmp);
  EXPECT_EQ(run.result.exit_code(), 0);
  ASSERT_EQ(run.result.out, "heap_nopie: canonical PLT entry for malloc: yes\n")
      << "the program no longer has the case this test is for";
  EXPECT_EQ(run.status["heap_nopie"], "tracking");
  ASSERT_EQ(run.ends.size(), 1u);
  EXPECT_GE(run.ends[0].bytes, 3 * 100 + 4000);
}

std::string jemalloc_library() {
  for (const char* path : {"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                           "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2"})
    if (::access(path, R_OK) == 0) return path;
  return "";
}

TEST(HeapEnds, UnderJemallocOnlyTheProgramsMappingsCountAndNothingHangs) {
  // jemalloc maps its extents with mmap through the PLT, while holding its own locks: the
  // first such call of a thread once made the preload read the thread's stack bounds
  // (pthread_getattr_np allocates) and deadlock, and its extents counted as the program's
  // anonymous mappings on top of the malloc'd bytes inside them.
  std::string jemalloc = jemalloc_library();
  if (jemalloc.empty()) GTEST_SKIP() << "libjemalloc2 is not installed (make setup installs it)";
  std::vector<std::string> env = {"env", "LD_PRELOAD=" + jemalloc};
  TempDir a, b, c;
  HeapRun glibc = leakscope_ends({program("heap_basic")}, a);
  HeapRun je = leakscope_ends({program("heap_basic")}, b, "--heap", env);
  EXPECT_EQ(je.result.exit_code(), 0) << je.result.err;
  EXPECT_EQ(je.result.out, glibc.result.out);
  EXPECT_EQ(je.status["heap_basic"], "tracking");
  EXPECT_EQ(je.mmap_live["heap_basic"], 0);  // the program maps nothing itself
  ASSERT_EQ(je.ends.size(), 1u);
  ASSERT_EQ(glibc.ends.size(), 1u);
  EXPECT_GE(je.ends[0].bytes, glibc.ends[0].bytes);  // its leaks (jemalloc adds libstdc++'s pool)
  HeapRun mapped = leakscope_ends({program("heap_mmap")}, c, "--heap", env);
  EXPECT_EQ(mapped.result.exit_code(), 0) << mapped.result.err;
  EXPECT_EQ(mapped.mmap_live["heap_mmap"], (48 + 128 + 32) * 1024);
}

TEST(HeapEnds, AnonymousMappingsOfTheProgram) {
  TempDir tmp;
  HeapRun run = leakscope_ends({program("heap_mmap")}, tmp);
  EXPECT_EQ(run.mmap_live["heap_mmap"], (48 + 128 + 32) * 1024);
}

}  // namespace
}  // namespace leakscope::e2e
