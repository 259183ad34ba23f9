// bench/heap_overhead: the cost of heap tracking, side by side in one run. Each workload
// runs alone, under `leakscope run --heap`, under `--heap=sample:512k`, under heaptrack and
// under valgrind --tool=massif; the table gives wall-clock time, CPU time (all processes,
// user + sys) and the ratio to the program alone, then the peak memory (VmHWM) of each
// tool's own processes (the traced program excluded, except under valgrind, where it runs
// inside the tool's process). Ratios only: no pass/fail.
//
// Workloads: heap_churn with 1 and 2 threads (millions of small allocations), sqlite3
// running an in-memory insert/index/query script, and cc1plus (the compiler proper of
// `g++ -c`, run directly so that every tool traces the same process: heaptrack does not
// follow g++'s children) compiling a generated template-heavy file.
//
// A last table puts the sampled mode beside two reference interposers (interpose_floor.c:
// the sampled fast paths' checks and nothing else, without and with an idle thread): what
// interposing malloc/free alone costs each workload, the floor under any LD_PRELOAD sampler.
//
// Usage: heap_overhead [--quick] [--runs N]   (--quick: leakscope only, no heaptrack/massif)
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Workload {
  std::string name;
  std::vector<std::string> argv;
  std::string stdin_path;  // "" = /dev/null
  std::string target;      // basename of the traced executable
};

struct Measure {
  double wall_s = 0;
  double cpu_s = 0;
  int64_t peak_kib = 0;  // of the tool's own processes (or of the program, alone)
  bool ok = false;
};

std::string run_text(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  ::pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

bool have(const std::string& tool) {
  return !run_text("command -v " + tool + " 2>/dev/null").empty();
}

int64_t status_kib(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atoll(line.c_str() + std::strlen(key));
  return -1;
}

// Peak VmHWM per process in the tree below `root`, sampled every 20 ms.
class TreeMemory {
 public:
  explicit TreeMemory(pid_t root) : root_(root), thread_([this] { loop(); }) {}
  ~TreeMemory() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Sum of the peaks of processes whose executable is not `target`.
  int64_t tool_peak_kib(const std::string& target) {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    int64_t sum = 0;
    for (const auto& [pid, p] : peaks_)
      if (p.second != target) sum += p.first;
    return sum;
  }

 private:
  void loop() {
    while (!stop_) {
      scan();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  void scan() {
    std::map<pid_t, pid_t> parent;
    DIR* d = opendir("/proc");
    if (!d) return;
    while (struct dirent* e = readdir(d)) {
      pid_t pid = std::atoi(e->d_name);
      if (pid <= 0) continue;
      std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
      std::string text((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
      auto close = text.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(text.substr(close + 2));
      std::string state;
      pid_t ppid = 0;
      rest >> state >> ppid;
      parent[pid] = ppid;
    }
    closedir(d);
    for (const auto& [pid, ppid] : parent) {
      pid_t p = pid;
      int hops = 0;
      while (p > 1 && p != root_ && hops++ < 64) p = parent.count(p) ? parent[p] : 0;
      if (p != root_) continue;
      int64_t hwm = status_kib(pid, "VmHWM:");
      if (hwm <= 0) continue;
      char exe[4096];
      ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), exe, sizeof(exe) - 1);
      std::string name = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "";
      name = name.substr(name.rfind('/') + 1);
      auto& slot = peaks_[pid];
      slot.first = std::max(slot.first, hwm);
      if (!name.empty()) slot.second = name;
    }
  }

  pid_t root_;
  std::atomic<bool> stop_{false};
  std::map<pid_t, std::pair<int64_t, std::string>> peaks_;
  std::thread thread_;
};

// preload: "" or a library for LD_PRELOAD (the reference interposers).
Measure run_once(const std::vector<std::string>& argv, const std::string& stdin_path,
                 const std::string& target, bool alone, const std::string& preload = "") {
  Measure m;
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
    int out = ::open("/dev/null", O_WRONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (!preload.empty()) ::setenv("LD_PRELOAD", preload.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  TreeMemory mem(pid);
  int status = 0;
  struct rusage ru = {};
  ::wait4(pid, &status, 0, &ru);
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  int64_t tools = mem.tool_peak_kib(target);
  m.peak_kib = alone ? ru.ru_maxrss : tools;
  m.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return m;
}

// The best of `runs` (least wall time): the machine may be busy with other work.
Measure best_of(int runs, const std::vector<std::string>& argv, const std::string& stdin_path,
                const std::string& target, bool alone, const std::string& preload = "") {
  Measure best;
  for (int i = 0; i < runs; ++i) {
    Measure m = run_once(argv, stdin_path, target, alone, preload);
    if (!best.ok || (m.ok && m.wall_s < best.wall_s)) best = m;
  }
  return best;
}

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::string sqlite_script() {
  return "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c REAL);\n"
         "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000)\n"
         "INSERT INTO t SELECT x, hex(randomblob(12)), x % 1000, x * 0.5 FROM n;\n"
         "CREATE INDEX t_a ON t(a);\nCREATE INDEX t_bc ON t(b, c);\n"
         "SELECT b, count(*), max(a) FROM t GROUP BY b ORDER BY 2 DESC LIMIT 3;\n"
         "SELECT count(*) FROM t WHERE a LIKE 'AB%';\nUPDATE t SET a = lower(a) WHERE b < 200;\n"
         "DELETE FROM t WHERE b > 800;\nSELECT count(*), sum(c) FROM t;\n";
}

std::string cxx_source(int functions) {
  std::string s =
      "#include <algorithm>\n#include <functional>\n#include <map>\n#include <memory>\n"
      "#include <sstream>\n#include <string>\n#include <unordered_map>\n#include <vector>\n"
      "template <int N> struct Item { std::string name; std::vector<int> values;"
      " std::map<std::string, double> attrs;\n  double score() const { double s = N;"
      " for (int v : values) s += v * 0.5; for (auto& [k, a] : attrs) s += a * k.size(); return s; } };\n";
  for (int i = 0; i < functions; ++i) {
    std::string n = std::to_string(i);
    s += "std::string work_" + n + "(int n) {\n  std::vector<Item<" + n + ">> items(n);\n"
         "  std::unordered_map<std::string, std::shared_ptr<Item<" + n + ">>> index;\n"
         "  for (int k = 0; k < n; ++k) { items[k].name = \"item\" + std::to_string(k * " + n +
         "); items[k].values.assign(k % 7, k); items[k].attrs[\"a" + n + "\"] = k;"
         " index[items[k].name] = std::make_shared<Item<" + n + ">>(items[k]); }\n"
         "  std::sort(items.begin(), items.end(), [](const Item<" + n + ">& a, const Item<" + n +
         ">& b) { return a.score() < b.score(); });\n"
         "  std::ostringstream out; for (auto& it : items) out << it.name << ':' << it.score() << ';';\n"
         "  std::function<int(int)> f = [&](int x) { return x + static_cast<int>(index.size()); };\n"
         "  return out.str() + std::to_string(f(" + n + "));\n}\n";
  }
  return s;
}

std::string fmt_mib(const Measure& m) {
  if (!m.ok) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(m.peak_kib) / 1024.0);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
  }
  std::string bin = LEAKSCOPE_BIN_PATH;
  std::string churn = HEAP_CHURN_PATH;
  char dir_template[] = "/tmp/leakscope-heap-bench-XXXXXX";
  std::string dir = ::mkdtemp(dir_template);
  std::string cc1plus = run_text("g++ -print-prog-name=cc1plus 2>/dev/null");
  std::string source = write_file(dir + "/big.cc", cxx_source(6));
  std::string script = write_file(dir + "/work.sql", sqlite_script());

  std::vector<Workload> workloads = {
      {"malloc churn, 1 thread", {churn, "1", "10000000"}, "", "heap_churn"},
      {"malloc churn, 2 threads", {churn, "2", "5000000"}, "", "heap_churn"},
  };
  if (have("sqlite3")) workloads.push_back({"sqlite3 :memory: script", {"sqlite3", ":memory:"}, script, "sqlite3"});
  if (!cc1plus.empty() && cc1plus[0] == '/')
    workloads.push_back({"g++ -c (cc1plus)",
                         {cc1plus, "-quiet", "-imultiarch", "x86_64-linux-gnu", "-D_GNU_SOURCE",
                          source, "-O1", "-o", dir + "/big.s"},
                         "",
                         "cc1plus"});
  bool heaptrack = !quick && have("heaptrack");
  bool massif = !quick && have("valgrind");
  std::printf("heap_overhead: %u cores, best of %d runs (heaptrack and massif: 1 run)\n",
              std::thread::hardware_concurrency(), runs);

  struct Row {
    std::string name;
    Measure alone, full, sampled, heaptrack, massif, floor, floor_thread;
  };
  std::string floor_dir = FLOOR_LIB_DIR;
  std::vector<Row> rows;
  for (const auto& w : workloads) {
    Row r;
    r.name = w.name;
    r.alone = best_of(runs, w.argv, w.stdin_path, w.target, true);
    auto traced = [&](std::vector<std::string> prefix) {
      prefix.insert(prefix.end(), w.argv.begin(), w.argv.end());
      return prefix;
    };
    r.full = best_of(runs, traced({bin, "run", "-q", "--heap", "-o", dir + "/full.db", "--"}),
                     w.stdin_path, w.target, false);
    r.sampled = best_of(runs, traced({bin, "run", "-q", "--heap=sample:512k", "-o",
                                      dir + "/sampled.db", "--"}),
                        w.stdin_path, w.target, false);
    r.floor = best_of(runs, w.argv, w.stdin_path, w.target, true, floor_dir + "/libinterpose_floor.so");
    r.floor_thread = best_of(runs, w.argv, w.stdin_path, w.target, true,
                             floor_dir + "/libinterpose_floor_thread.so");
    if (heaptrack)
      r.heaptrack = run_once(traced({"heaptrack", "-o", dir + "/heaptrack"}), w.stdin_path,
                             w.target, false);
    if (massif)
      r.massif = run_once(traced({"valgrind", "--tool=massif", "--massif-out-file=" + dir + "/massif.out"}),
                          w.stdin_path, w.target, false);
    rows.push_back(r);
    std::fprintf(stderr, "  measured %s\n", w.name.c_str());
  }

  // One table of times: `seconds` picks wall or CPU time from a measure.
  auto print_times = [&](const char* title, double Measure::*seconds) {
    std::printf("\n%s\n", title);
    std::printf("| %-26s | %-9s | %-18s | %-18s | %-18s | %-18s |\n", "workload", "alone",
                "leakscope --heap", "--heap=sample:512k", "heaptrack", "valgrind massif");
    std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(28, '-').c_str(), std::string(11, '-').c_str(),
                std::string(20, '-').c_str(), std::string(20, '-').c_str(),
                std::string(20, '-').c_str(), std::string(20, '-').c_str());
    auto cell = [&](const Measure& m, const Measure& base, bool ran) {
      if (!ran) return std::string("not run");
      if (!m.ok) return std::string("failed");
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.2f s (%.2fx)", m.*seconds, m.*seconds / base.*seconds);
      return std::string(buf);
    };
    for (const auto& r : rows) {
      char alone[32];
      std::snprintf(alone, sizeof(alone), "%.2f s", r.alone.*seconds);
      std::printf("| %-26s | %-9s | %-18s | %-18s | %-18s | %-18s |\n", r.name.c_str(), alone,
                  cell(r.full, r.alone, true).c_str(), cell(r.sampled, r.alone, true).c_str(),
                  cell(r.heaptrack, r.alone, heaptrack).c_str(),
                  cell(r.massif, r.alone, massif).c_str());
    }
  };
  print_times("Wall time (ratio to the program alone):", &Measure::wall_s);
  print_times("CPU time, all processes, user + sys (ratio to the program alone):", &Measure::cpu_s);
  std::printf("\nPeak memory (VmHWM): the program alone, and each tool's own processes "
              "(massif: the program runs inside it):\n");
  std::printf("| %-26s | %-10s | %-16s | %-18s | %-10s | %-15s |\n", "workload", "alone",
              "leakscope --heap", "--heap=sample:512k", "heaptrack", "valgrind massif");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(28, '-').c_str(), std::string(12, '-').c_str(),
              std::string(18, '-').c_str(), std::string(20, '-').c_str(),
              std::string(12, '-').c_str(), std::string(17, '-').c_str());
  for (const auto& r : rows)
    std::printf("| %-26s | %-10s | %-16s | %-18s | %-10s | %-15s |\n", r.name.c_str(),
                fmt_mib(r.alone).c_str(), fmt_mib(r.full).c_str(), fmt_mib(r.sampled).c_str(),
                heaptrack ? fmt_mib(r.heaptrack).c_str() : "-",
                massif ? fmt_mib(r.massif).c_str() : "-");
  std::printf("\nWall time beside reference interposers that only check (the sampled mode's "
              "fast paths, nothing recorded; interpose_floor.c):\n");
  std::printf("| %-26s | %-18s | %-24s | %-18s |\n", "workload", "check-only interposer",
              "+ one idle thread", "--heap=sample:512k");
  std::printf("|%s|%s|%s|%s|\n", std::string(28, '-').c_str(), std::string(20, '-').c_str(),
              std::string(26, '-').c_str(), std::string(20, '-').c_str());
  for (const auto& r : rows) {
    auto ratio = [&](const Measure& m) {
      if (!m.ok) return std::string("failed");
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.3fx", m.wall_s / r.alone.wall_s);
      return std::string(buf);
    };
    std::printf("| %-26s | %-18s | %-24s | %-18s |\n", r.name.c_str(), ratio(r.floor).c_str(),
                ratio(r.floor_thread).c_str(), ratio(r.sampled).c_str());
  }
  run_text("rm -rf '" + dir + "'");
  return 0;
}
