// Real-workload benchmark; see real_bench.h.
#include "bench/accuracy/real_bench.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "analyze/verdict.h"

extern char** environ;

namespace leakscope::bench {
namespace {

constexpr double kRateKiB = 1024;  // the workload's leak rate, KiB/s

struct Truth {
  const char* mode;
  const char* role;     // "root" or "child"
  const char* series;
  const char* expected; // '|'-separated acceptable states
  double rate;          // per second (bytes or counts); 0 for no leak
};

const Truth kTruths[] = {
    {"warmup_flat", "root", "anon", "bounded", 0},
    {"warmup_leak", "root", "anon", "sustained-growth", kRateKiB * 1024},
    {"cache_fill", "root", "anon", "bounded|settling", 0},
    {"sawtooth", "root", "anon", "bounded|no-growth", 0},
    {"sawtooth_leak", "root", "anon", "sustained-growth", kRateKiB * 1024},
    {"step", "root", "anon", "bounded", 0},
    {"leak_stop", "root", "anon", "stopped-growing", 0},
    {"phase_leak", "root", "anon", "sustained-growth", kRateKiB * 1024 / 2},
    {"child_leak", "child", "anon", "sustained-growth", kRateKiB * 1024},
    {"fd_leak", "root", "fds", "sustained-growth", 4},
    {"thread_leak", "root", "threads", "sustained-growth", 2},
    {"shm_growth", "root", "shmem", "sustained-growth", kRateKiB * 1024},
    {"noise", "root", "anon", "bounded|no-growth", 0},
};

int spawn_wait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

RealScore run_one(const Truth& truth, double seconds) {
  RealScore s;
  s.mode = truth.mode;
  s.expected = truth.expected;
  s.key = std::string(truth.role) + " " + truth.series;
  s.leak = truth.rate > 0;
  s.true_rate = truth.rate;
  std::string db = fmt::format("/tmp/leakscope_real_{}_{}.db", truth.mode, ::getpid());
  std::vector<std::string> argv = {LEAKSCOPE_BIN_PATH, "run", "-q", "--no-status", "-o", db};
  if (s.mode == "phase_leak") {
    argv.push_back("--mark-regex");
    argv.push_back("PHASE (\\w+)");
  }
  for (const char* a : {"--", WORKLOAD_BIN_PATH}) argv.push_back(a);
  argv.push_back(truth.mode);
  argv.push_back(fmt::format("{}", seconds));
  argv.push_back(fmt::format("{}", kRateKiB));
  if (spawn_wait(argv) != 0) {
    s.error = "recording failed";
    return s;
  }
  auto reader = store::CaptureReader::open(db);
  if (!reader.is_ok()) {
    s.error = reader.status().message();
    return s;
  }
  analyze::AnalyzeOptions o;
  auto v = analyze::analyze_capture(*reader, o);
  ::unlink(db.c_str());
  if (!v.is_ok()) {
    s.error = v.status().message();
    return s;
  }
  s.false_positive = !s.leak && v->sustained_growth_found;
  for (const auto& p : v->processes) {
    bool is_root = p.parent_pid == 0 || p.pid == v->processes.front().pid;
    if ((std::string(truth.role) == "root") != is_root) continue;
    const auto* sv = p.find(truth.series);
    if (!sv) continue;
    s.state = analyze::state_name(sv->r.state);
    s.rate = sv->r.rate;
    s.ci_lo = sv->r.ci_lo;
    s.ci_hi = sv->r.ci_hi;
  }
  s.state_ok = !s.state.empty() && ("|" + s.expected + "|").find("|" + s.state + "|") != std::string::npos;
  return s;
}

}  // namespace

const std::vector<std::string>& all_workload_modes() {
  static const std::vector<std::string> modes = [] {
    std::vector<std::string> m;
    for (const auto& t : kTruths) m.push_back(t.mode);
    return m;
  }();
  return modes;
}

std::vector<RealScore> run_real_bench(const std::vector<std::string>& modes, double seconds,
                                      int threads) {
  std::vector<const Truth*> todo;
  for (const auto& m : modes)
    for (const auto& t : kTruths)
      if (m == t.mode) todo.push_back(&t);
  std::vector<RealScore> out(todo.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < todo.size(); i = next++) out[i] = run_one(*todo[i], seconds);
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < std::max(1, threads); ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  return out;
}

std::string format_real_scores(const std::vector<RealScore>& scores) {
  std::string out = fmt::format("real workloads under `leakscope run`\n{:<14} {:<14} {:<26} {:<17} {:>5} {:>12} {:>12} {:>8}\n",
                                "workload", "key series", "expected", "verdict", "ok", "true rate",
                                "measured", "CI-cover");
  for (const auto& s : scores) {
    if (!s.error.empty()) {
      out += fmt::format("{:<14} error: {}\n", s.mode, s.error);
      continue;
    }
    bool covered = s.ci_lo <= s.true_rate && s.true_rate <= s.ci_hi;
    out += fmt::format("{:<14} {:<14} {:<26} {:<17} {:>5} {:>12.4g} {:>12.4g} {:>8}\n", s.mode, s.key,
                       s.expected, s.state, s.state_ok && !s.false_positive ? "yes" : "NO",
                       s.true_rate, s.rate, s.leak ? (covered ? "yes" : "no") : "-");
  }
  return out;
}

}  // namespace leakscope::bench
