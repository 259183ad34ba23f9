// Tests for the capture file: round trip through writer and reader, file mode, refusal of
// files that are not captures or are newer, heap stacks in both layouts (a BLOB per stack
// since version 2, a row per frame in version 1), marks appended from another connection,
// and durability of flushed rows when the writer dies without finishing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "store/capture_reader.h"
#include "store/capture_writer.h"
#include "store/heap_reader.h"
#include "store/sqlite_db.h"

namespace leakscope::store {
namespace {

class CaptureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("leakscope_store_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "cap.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunInfo run_info() {
    RunInfo r;
    r.mode = "run";
    r.command = "./app --flag";
    r.argv = {"./app", "--flag"};
    r.start_unix_ns = 1700000000000000000LL;
    r.tick_ms = 100;
    return r;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CaptureStoreTest, RoundTrip) {
  auto w = CaptureWriter::create(path_, run_info());
  ASSERT_TRUE(w.is_ok()) << w.status().message();
  ProcessInfo p;
  p.pid = 4242;
  p.start_ticks = 777;
  p.start_ms = -20;
  p.first_seen_ms = 0;
  p.is_root = true;
  int64_t id = (*w)->add_process(p);
  ProcessInfo child = p;
  child.pid = 4243;
  child.start_ticks = 800;
  child.parent_id = id;
  child.is_root = false;
  int64_t cid = (*w)->add_process(child);
  (*w)->add_generation({id, 0, 0, "app", "/usr/bin/app", "./app --flag"});
  (*w)->add_generation({cid, 0, 5, "app", "/usr/bin/app", "./app --flag"});
  (*w)->add_generation({cid, 1, 7, "helper", "/usr/bin/helper", "helper -x"});
  for (int i = 0; i < 10; ++i) {
    Sample s;
    s.process_id = id;
    s.t_ms = i * 100;
    s.rss = 1000 + i;
    s.rss_anon = 500 + i;
    s.fds = 4;
    (*w)->add_sample(s);
  }
  DetailSample d;
  d.process_id = id;
  d.t_ms = 0;
  d.source = "smaps_rollup";
  d.pss = 900;
  d.pss_anon = 450;
  (*w)->add_detail(d);
  (*w)->add_mark({300, "active", "stdout", "PHASE active"});
  (*w)->add_note({400, cid, "zombie", "became a zombie"});
  ASSERT_TRUE((*w)->flush().is_ok());
  child.id = cid;
  child.exit_ms = 900;
  child.end_state = "exited";
  child.exit_code = 3;
  (*w)->update_process(child);
  ASSERT_TRUE((*w)->finish(1000, 0, -1).is_ok());
  w->reset();

  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));  // folded back at finish

  auto r = CaptureReader::open(path_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const auto& m = r->meta();
  EXPECT_EQ(m.version, kCaptureVersion);
  EXPECT_EQ(m.run.command, "./app --flag");
  EXPECT_EQ(m.run.argv, (std::vector<std::string>{"./app", "--flag"}));
  EXPECT_EQ(m.run.end_ms, 1000);
  EXPECT_EQ(m.run.exit_code, 0);
  EXPECT_EQ(m.run.exit_signal, kNone);
  ASSERT_EQ(m.processes.size(), 2u);
  EXPECT_EQ(m.processes[0].start_ms, -20);  // negative start times survive
  EXPECT_EQ(m.processes[1].parent_id, id);
  EXPECT_EQ(m.processes[1].exit_code, 3);
  EXPECT_EQ(m.processes[1].end_state, "exited");
  EXPECT_EQ(m.latest_generation(cid)->comm, "helper");
  ASSERT_EQ(m.marks.size(), 1u);
  EXPECT_EQ(m.marks[0].label, "active");
  ASSERT_EQ(m.notes.size(), 1u);
  auto samples = r->samples(id);
  ASSERT_TRUE(samples.is_ok());
  ASSERT_EQ(samples->size(), 10u);
  EXPECT_EQ((*samples)[9].rss_anon, 509);
  EXPECT_EQ((*samples)[9].vm_swap, kNone);  // NULL reads back as "missing", not 0
  auto details = r->details(id);
  ASSERT_TRUE(details.is_ok());
  ASSERT_EQ(details->size(), 1u);
  EXPECT_EQ((*details)[0].source, "smaps_rollup");
}

TEST_F(CaptureStoreTest, RefusesNonCaptures) {
  // A directory.
  EXPECT_EQ(CaptureReader::open(dir_.string()).status().code(), StatusCode::kInvalidArgument);
  // Random bytes.
  std::string junk = (dir_ / "junk.db").string();
  {
    std::ofstream out(junk, std::ios::binary);
    for (int i = 0; i < 5000; ++i) out.put(static_cast<char>((i * 7919) & 0xff));
  }
  auto s = CaptureReader::open(junk).status();
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("not a leakscope capture"), std::string::npos) << s.message();
  // An empty file and a missing one.
  std::string empty = (dir_ / "empty.db").string();
  std::ofstream(empty).close();
  EXPECT_NE(CaptureReader::open(empty).status().message().find("empty"), std::string::npos);
  EXPECT_EQ(CaptureReader::open((dir_ / "none.db").string()).status().code(), StatusCode::kNotFound);
  // Some other SQLite database.
  std::string other = (dir_ / "other.db").string();
  {
    auto db = Database::open(other, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.is_ok());
    ASSERT_TRUE(db->exec("CREATE TABLE t(x)").is_ok());
  }
  EXPECT_NE(CaptureReader::open(other).status().message().find("not a leakscope capture"),
            std::string::npos);
  // And the writer refuses to overwrite it.
  EXPECT_FALSE(CaptureWriter::create(other, run_info()).is_ok());
}

TEST_F(CaptureStoreTest, RefusesNewerVersionNamingBoth) {
  {
    auto w = CaptureWriter::create(path_, run_info());
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->finish(0, 0, -1).is_ok());
  }
  {
    auto db = Database::open(path_, SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.is_ok());
    ASSERT_TRUE(db->exec("PRAGMA user_version=" + std::to_string(kCaptureVersion + 7)).is_ok());
  }
  Status s = CaptureReader::open(path_).status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("version " + std::to_string(kCaptureVersion + 7)), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("version " + std::to_string(kCaptureVersion) + ")"), std::string::npos)
      << s.message();
}

TEST_F(CaptureStoreTest, HeapStacksRoundTripAndVersionOneStillReads) {
  {
    auto w = CaptureWriter::create(path_, run_info());
    ASSERT_TRUE(w.is_ok());
    ProcessInfo p;
    p.pid = 4242;
    p.start_ticks = 1;
    int64_t id = (*w)->add_process(p);
    // Two stacks, one 40 frames deep with a pc above 2^63.
    for (int d = 0; d < 40; ++d)
      (*w)->add_heap_stack_frame({id, 1, d, 0x400000ULL + static_cast<uint64_t>(d)});
    (*w)->add_heap_stack_frame({id, 2, 0, 0xffffffffff600000ULL});
    ASSERT_TRUE((*w)->finish(10, 0, -1).is_ok());
  }
  auto check = [&](const char* layout) {
    auto r = CaptureReader::open(path_);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    auto heap = read_heap_data(*r);
    ASSERT_TRUE(heap.is_ok()) << heap.status().message();
    ASSERT_EQ(heap->stacks.size(), 2u) << layout;
    const auto& deep = heap->stacks.begin()->second;
    ASSERT_EQ(deep.size(), 40u) << layout;
    EXPECT_EQ(deep[0], 0x400000ULL);
    EXPECT_EQ(deep[39], 0x400000ULL + 39);
    EXPECT_EQ(std::next(heap->stacks.begin())->second,
              std::vector<uint64_t>{0xffffffffff600000ULL}) << layout;
  };
  check("version 2");
  {
    // Rewrite the table as version 1 wrote it: a row per frame.
    auto db = Database::open(path_, SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.is_ok());
    std::string sql =
        "DROP TABLE heap_stack; CREATE TABLE heap_stack(process_id INTEGER NOT NULL,"
        " stack_id INTEGER NOT NULL, depth INTEGER NOT NULL, pc INTEGER NOT NULL,"
        " PRIMARY KEY (process_id, stack_id, depth)) WITHOUT ROWID;";
    for (int d = 39; d >= 0; --d)
      sql += "INSERT INTO heap_stack VALUES (1, 1, " + std::to_string(d) + ", " +
             std::to_string(0x400000 + d) + ");";
    sql += "INSERT INTO heap_stack VALUES (1, 2, 0, " +
           std::to_string(static_cast<int64_t>(0xffffffffff600000ULL)) + "); PRAGMA user_version=1;";
    ASSERT_TRUE(db->exec(sql).is_ok());
  }
  check("version 1");
}

TEST_F(CaptureStoreTest, MarkFromAnotherConnectionWhileRecording) {
  RunInfo r = run_info();
  r.start_unix_ns = 1000LL * 1000000000LL;
  auto w = CaptureWriter::create(path_, r);
  ASSERT_TRUE(w.is_ok());
  int64_t t_ms = 0;
  ASSERT_TRUE(append_mark(path_, "recording", "cli", r.start_unix_ns + 2500 * 1000000LL, &t_ms).is_ok());
  EXPECT_EQ(t_ms, 2500);
  (*w)->add_mark({3000, "idle", "stdout", "PHASE idle"});
  ASSERT_TRUE((*w)->finish(4000, 0, -1).is_ok());
  auto reader = CaptureReader::open(path_);
  ASSERT_TRUE(reader.is_ok());
  ASSERT_EQ(reader->meta().marks.size(), 2u);
  EXPECT_EQ(reader->meta().marks[0].label, "recording");
  EXPECT_EQ(reader->meta().marks[0].source, "cli");
  EXPECT_FALSE(append_mark((dir_ / "none.db").string(), "x", "cli", 0, nullptr).is_ok());
}

TEST_F(CaptureStoreTest, FlushedRowsSurviveAKilledWriter) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto w = CaptureWriter::create(path_, run_info());
    if (!w.is_ok()) _exit(1);
    ProcessInfo p;
    p.pid = 1;
    int64_t id = (*w)->add_process(p);
    for (int i = 0; i < 50; ++i) {
      Sample s;
      s.process_id = id;
      s.t_ms = i;
      s.rss = i;
      (*w)->add_sample(s);
    }
    if (!(*w)->flush().is_ok()) _exit(1);
    Sample lost;
    lost.process_id = id;
    lost.t_ms = 999;
    (*w)->add_sample(lost);  // never flushed
    kill(getpid(), SIGKILL);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto r = CaptureReader::open(path_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  auto samples = r->samples(1);
  ASSERT_TRUE(samples.is_ok());
  EXPECT_EQ(samples->size(), 50u);
  EXPECT_EQ(r->meta().run.end_ms, kNone);  // the run never finished, and says so
}

}  // namespace
}  // namespace leakscope::store
