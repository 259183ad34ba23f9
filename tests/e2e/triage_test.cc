// End-to-end tests of `leakscope triage`: the real binary on tests/programs/triage_target,
// whose fds, sockets, threads and arenas are known, and the bad-input cases (unknown pid,
// garbage pid, another user's process), each one line on stderr and exit status 2.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_util.h"

namespace leakscope::e2e {
namespace {

constexpr int kWorkers = 6;

// triage_target with stdin and stderr on /dev/null and stdout on a pipe (which says
// "ready"), and nothing else inherited, so its fd table is exactly what it opens.
class Target {
 public:
  Target() {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    std::string path = program("triage_target");
    std::string workers = std::to_string(kWorkers);
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(out[1], 1);
      dup2(null, 2);
      close_range(3, ~0u, 0);
      execl(path.c_str(), path.c_str(), workers.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    char buf[64] = {};
    ssize_t n = pid_ > 0 ? read(out[0], buf, sizeof(buf) - 1) : -1;
    close(out[0]);
    ready_ = n > 0 && std::string(buf, static_cast<size_t>(n)).rfind("ready ", 0) == 0;
  }
  ~Target() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  std::string pid() const { return std::to_string(pid_); }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

int count(const nlohmann::json& obj, const char* key) {
  return obj.contains(key) ? obj[key].get<int>() : 0;
}

bool has_interpretation(const nlohmann::json& j, const std::string& id) {
  for (const auto& i : j["interpretations"]) {
    if (i["id"] == id) return true;
  }
  return false;
}

// One line "leakscope: error: ..." on stderr, nothing on stdout, exit status 2.
void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code(), 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("leakscope: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(TriageE2eTest, KnownTargetJson) {
  Target t;
  ASSERT_TRUE(t.ready());
  auto r = run_command({leakscope_bin(), "triage", t.pid(), "--json"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["identity"]["pid"].get<int>(), std::stoi(t.pid()));
  EXPECT_EQ(j["identity"]["comm"], "triage_target");
  EXPECT_FALSE(j["identity"]["binary"]["stripped"].get<bool>());
  EXPECT_EQ(j["identity"]["binary"]["build_id"].get<std::string>().size(), 40u);

  const auto& by_type = j["fds"]["by_type"];
  EXPECT_EQ(j["fds"]["total"], 22) << by_type.dump();
  EXPECT_EQ(count(by_type, "file"), 3);
  EXPECT_EQ(count(by_type, "deleted_file"), 1);
  EXPECT_EQ(count(by_type, "directory"), 1);
  EXPECT_EQ(count(by_type, "memfd"), 1);
  EXPECT_EQ(count(by_type, "pipe"), 3);
  EXPECT_EQ(count(by_type, "device"), 2);
  EXPECT_EQ(count(by_type, "eventfd"), 1);
  EXPECT_EQ(count(by_type, "eventpoll"), 1);
  EXPECT_EQ(count(by_type, "timerfd"), 1);
  EXPECT_EQ(count(by_type, "signalfd"), 1);
  EXPECT_EQ(count(by_type, "socket"), 7);
  EXPECT_EQ(count(j["fds"]["sockets"], "tcp"), 4);
  EXPECT_EQ(count(j["fds"]["sockets"], "udp"), 1);
  EXPECT_EQ(count(j["fds"]["sockets"], "unix"), 2);
  EXPECT_EQ(count(j["fds"]["tcp_states"], "CLOSE_WAIT"), 1);
  EXPECT_EQ(count(j["fds"]["tcp_states"], "LISTEN"), 1);
  EXPECT_EQ(count(j["fds"]["tcp_states"], "ESTABLISHED"), 2);

  EXPECT_EQ(j["allocator"]["primary"], "glibc");
  EXPECT_EQ(j["threads"], kWorkers + 1);
  EXPECT_EQ(j["arenas"]["heaps"], kWorkers);  // one arena per worker thread
  EXPECT_TRUE(has_interpretation(j, "glibc_arenas")) << j["interpretations"].dump();
  EXPECT_TRUE(has_interpretation(j, "close_wait"));
  EXPECT_TRUE(has_interpretation(j, "deleted_files_open"));
  EXPECT_FALSE(has_interpretation(j, "fd_near_limit"));
  for (const auto& i : j["interpretations"]) {
    EXPECT_FALSE(i["facts"].empty()) << i.dump();
    EXPECT_FALSE(i["rule"].get<std::string>().empty()) << i.dump();
  }
  EXPECT_GT(j["memory"]["pss"].get<int64_t>(), 0);
  EXPECT_GE(j["memory"]["vm_hwm"].get<int64_t>(), j["memory"]["vm_rss"].get<int64_t>());
}

TEST(TriageE2eTest, KnownTargetText) {
  Target t;
  ASSERT_TRUE(t.ready());
  auto r = run_command({leakscope_bin(), "triage", t.pid()});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_NE(r.out.find("allocator  glibc"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CLOSE_WAIT 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 socket in CLOSE_WAIT: the peer closed, this process has not"),
            std::string::npos);
  EXPECT_NE(r.out.find("glibc per-thread arenas (MALLOC_ARENA_MAX would cap them)"),
            std::string::npos);
  EXPECT_NE(r.out.find("based on: "), std::string::npos);
  EXPECT_NE(r.out.find("[64 MiB-aligned arena heap]"), std::string::npos);
}

TEST(TriageE2eTest, UnknownPid) {
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // reaped: its pid names no process now
  expect_one_line_error(run_command({leakscope_bin(), "triage", std::to_string(child)}),
                        "no process " + std::to_string(child));
}

TEST(TriageE2eTest, GarbagePid) {
  for (const char* bad : {"12abc", "0", "abc", "99999999999999999999999", "+12"}) {
    expect_one_line_error(run_command({leakscope_bin(), "triage", bad}), "bad pid");
  }
  auto r = run_command({leakscope_bin(), "triage"});
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// Another user's process: as root, run leakscope as `nobody` against our (root's) target.
TEST(TriageE2eTest, OtherUsersProcessIsPermissionDenied) {
  Target t;
  ASSERT_TRUE(t.ready());
  std::vector<std::string> prefix;
  std::string target_pid = t.pid();
  TempDir tmp;
  std::string bin = leakscope_bin();
  if (geteuid() == 0) {
    if (access("/usr/bin/setpriv", X_OK) == 0)
      prefix = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    else if (access("/usr/sbin/runuser", X_OK) == 0)
      prefix = {"/usr/sbin/runuser", "-u", "nobody", "--"};
    else
      GTEST_SKIP() << "neither setpriv nor runuser to drop to nobody";
    // nobody may not be able to reach the build folder: run a copy from a world-readable one.
    bin = tmp.path("leakscope");
    std::filesystem::copy_file(leakscope_bin(), bin);
    std::filesystem::permissions(tmp.dir(), std::filesystem::perms(0755));
    std::filesystem::permissions(bin, std::filesystem::perms(0755));
  } else {
    // Not root: any root-owned process will do; pid 1 usually is one.
    struct stat st;
    if (stat("/proc/1", &st) != 0 || st.st_uid != 0) GTEST_SKIP() << "no root-owned process to try";
    target_pid = "1";
  }
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), {bin, "triage", target_pid});
  auto r = run_command(argv);
  expect_one_line_error(r, "cannot inspect process " + target_pid);
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace leakscope::e2e
