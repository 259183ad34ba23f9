// fd classification: by readlink text (table and a recorded fd listing) and on this test
// process's own fd table, where the expected kind of every fd is known.
#include "procfs/fd_info.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/scoped_fd.h"

namespace leakscope::procfs {
namespace {

TEST(FdInfoTest, ClassifiesLinkTargets) {
  struct Case {
    const char* target;
    FdType type;
  };
  const Case cases[] = {
      {"socket:[32557]", FdType::kSocket},
      {"pipe:[29342]", FdType::kPipe},
      {"anon_inode:[eventfd]", FdType::kEventfd},
      {"anon_inode:[eventpoll]", FdType::kEventpoll},
      {"anon_inode:[timerfd]", FdType::kTimerfd},
      {"anon_inode:[signalfd]", FdType::kSignalfd},
      {"anon_inode:inotify", FdType::kInotify},
      {"anon_inode:[io_uring]", FdType::kIoUring},
      {"anon_inode:[pidfd]", FdType::kPidfd},
      {"anon_inode:bpf-map", FdType::kOtherAnonInode},
      {"anon_inode:[perf_event]", FdType::kOtherAnonInode},
      {"/memfd:cache (deleted)", FdType::kMemfd},
      {"/tmp/x.log (deleted)", FdType::kDeleted},
      {"/dev/null", FdType::kDevice},
      {"/dev/nvidia0", FdType::kDevice},
      {"/dev/dri/renderD128", FdType::kDevice},
      {"/dev/shm/pool", FdType::kFile},
      {"/var/log/app.log", FdType::kFile},
      {"net:[4026531840]", FdType::kNamespace},
      {"socket:[]", FdType::kOther},
      {"socket:[12a]", FdType::kOther},
      {"socket:123", FdType::kOther},
      {"pipe:[00]", FdType::kOther},
      {"", FdType::kOther},
      {"something", FdType::kOther},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(fd_type_name(classify_fd_link(c.target).type), std::string(fd_type_name(c.type)))
        << c.target;
  }
  FdLink sock = classify_fd_link("socket:[32557]");
  EXPECT_EQ(sock.inode, 32557u);
  EXPECT_EQ(classify_fd_link("anon_inode:bpf-map").anon_name, "bpf-map");
  EXPECT_EQ(classify_fd_link("anon_inode:[eventfd]").anon_name, "eventfd");
}

// fd_links.txt is the readlink of every fd of tests/programs/triage_target, recorded.
TEST(FdInfoTest, CountsRecordedListing) {
  std::string text;
  ASSERT_TRUE(read_file(std::string(LEAKSCOPE_FIXTURES_DIR) + "/proc/fd_links.txt", &text).is_ok());
  std::vector<FdEntry> fds;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    FdEntry e;
    e.fd = static_cast<int>(fds.size());
    e.target = text.substr(pos, eol - pos);
    e.link = classify_fd_link(e.target);
    fds.push_back(e);
    pos = eol + 1;
  }
  FdCounts c = count_fds(fds);
  EXPECT_EQ(c.total, 24);
  EXPECT_EQ(c.of(FdType::kSocket), 7);
  EXPECT_EQ(c.of(FdType::kPipe), 3);
  EXPECT_EQ(c.of(FdType::kDevice), 3);
  EXPECT_EQ(c.of(FdType::kFile), 5);  // "/" is a directory only stat() can tell
  EXPECT_EQ(c.of(FdType::kDeleted), 1);
  EXPECT_EQ(c.of(FdType::kMemfd), 1);
  EXPECT_EQ(c.of(FdType::kEventfd), 1);
  EXPECT_EQ(c.of(FdType::kEventpoll), 1);
  EXPECT_EQ(c.of(FdType::kTimerfd), 1);
  EXPECT_EQ(c.of(FdType::kSignalfd), 1);
  EXPECT_EQ(c.of(FdType::kOther), 0);
}

class OwnFdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fd_info_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  int keep(int fd) {
    EXPECT_GE(fd, 0);
    fds_.emplace_back(fd);
    return fd;
  }
  std::string dir_;
  std::vector<ScopedFd> fds_;
};

TEST_F(OwnFdsTest, ListsOwnFdsByKind) {
  std::map<int, FdType> expected;
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  keep(p[0]);
  keep(p[1]);
  expected[p[0]] = expected[p[1]] = FdType::kPipe;
  expected[keep(eventfd(0, EFD_CLOEXEC))] = FdType::kEventfd;
  int sock = keep(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  expected[sock] = FdType::kSocket;
  expected[keep(memfd_create("fd_info_test", MFD_CLOEXEC))] = FdType::kMemfd;
  expected[keep(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC))] = FdType::kDirectory;
  expected[keep(open("/dev/null", O_RDONLY | O_CLOEXEC))] = FdType::kDevice;
  std::string file = dir_ + "/regular";
  expected[keep(open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600))] = FdType::kFile;
  std::string gone = dir_ + "/gone";
  expected[keep(open(gone.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600))] = FdType::kDeleted;
  ASSERT_EQ(unlink(gone.c_str()), 0);
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expected[keep(open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC))] = FdType::kPipe;

  std::vector<FdEntry> fds;
  ASSERT_TRUE(list_fds(getpid(), &fds).is_ok());
  std::map<int, const FdEntry*> by_fd;
  for (const auto& e : fds) by_fd[e.fd] = &e;
  for (const auto& [fd, type] : expected) {
    ASSERT_TRUE(by_fd.count(fd)) << fd;
    EXPECT_EQ(std::string(fd_type_name(by_fd[fd]->link.type)), fd_type_name(type))
        << fd << " -> " << by_fd[fd]->target;
  }
  struct stat st;
  ASSERT_EQ(fstat(sock, &st), 0);
  EXPECT_EQ(by_fd[sock]->link.inode, st.st_ino);
  EXPECT_EQ(count_fds(fds).total, static_cast<int>(fds.size()));
}

TEST(FdInfoTest, MissingProcessIsNotFound) {
  std::vector<FdEntry> fds;
  Status s = list_fds(4194304 + 7, &fds);  // above any pid_max
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.message();
}

}  // namespace
}  // namespace leakscope::procfs
