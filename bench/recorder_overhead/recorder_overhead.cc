// Benchmark: the recorder's own CPU cost while it records a tree of N processes at the
// default rates (cheap tier every 100 ms, detailed tier adaptive from 1 s). Prints the
// figure as a percentage of one core, measured by wait4() on the leakscope process, plus
// the recorder's per-read costs from the capture. The budget is < 1% for 50 processes.
//
// Usage: recorder_overhead [LEAKSCOPE_BIN] [PROCESSES=50] [SECONDS=20] [extra leakscope args...]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "store/capture_reader.h"

namespace {

void* volatile g_sink;

// The tree: a root that forks N-1 children; each touches a few MiB and sleeps.
pid_t start_tree(int processes) {
  pid_t root = fork();
  if (root != 0) return root;
  setpgid(0, 0);  // before any fork, so that every child is in the group the end kills
  for (int i = 1; i < processes; ++i) {
    if (fork() == 0) {
      size_t size = (2 + i % 8) << 20;
      char* p = static_cast<char*>(malloc(size));
      memset(p, i, size);
      g_sink = p;
      for (;;) pause();
    }
  }
  for (;;) pause();
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin = argc > 1 ? argv[1] : "build/bin/leakscope";
  int processes = argc > 2 ? atoi(argv[2]) : 50;
  int seconds = argc > 3 ? atoi(argv[3]) : 20;
  std::vector<std::string> extra;
  for (int i = 4; i < argc; ++i) extra.push_back(argv[i]);
  char tmpl[] = "/tmp/leakscope-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  std::string cap = std::string(tmpl) + "/cap.db";

  pid_t root = start_tree(processes);
  setpgid(root, root);
  sleep(1);  // let the tree come up
  std::vector<std::string> args = {bin, "attach", std::to_string(root), "-o", cap, "-q",
                                   "--duration", std::to_string(seconds) + "s"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argvv;
  for (auto& a : args) argvv.push_back(a.data());
  argvv.push_back(nullptr);
  pid_t rec = fork();
  if (rec == 0) {
    execv(argvv[0], argvv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru = {};
  wait4(rec, &status, 0, &ru);
  kill(-root, SIGKILL);
  kill(root, SIGKILL);
  while (waitpid(-1, nullptr, 0) > 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "leakscope failed (status %d)\n", status);
    return 1;
  }
  double cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
  auto reader = leakscope::store::CaptureReader::open(cap);
  if (!reader.is_ok()) {
    std::fprintf(stderr, "%s\n", reader.status().message().c_str());
    return 1;
  }
  const auto& m = reader->meta();
  double wall_s = m.run.end_ms / 1000.0;
  int64_t cheap_us = 0, detail_us = 0;
  for (const auto& r : m.recorder_stats) {
    cheap_us += r.cheap_read_us;
    detail_us += r.detail_read_us;
  }
  auto samples = reader->all_samples();
  auto details = reader->all_details();
  size_t n_samples = 0, n_details = 0;
  if (samples.is_ok())
    for (const auto& [id, rows] : *samples) n_samples += rows.size();
  if (details.is_ok())
    for (const auto& [id, rows] : *details) n_details += rows.size();
  std::printf("recorder overhead: %d processes, %.1f s, tick %lld ms, detail >= %lld ms\n",
              static_cast<int>(m.processes.size()), wall_s,
              static_cast<long long>(m.run.tick_ms), static_cast<long long>(m.run.detail_min_ms));
  double user_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  std::printf("  leakscope CPU: %.3f s = %.2f%% of one core (budget < 1%%): user %.3f s, kernel %.3f s\n",
              cpu_s, 100.0 * cpu_s / wall_s, user_s, cpu_s - user_s);
  std::printf("  cheap tier:    %zu samples, %.1f us per process-tick (reads only)\n", n_samples,
              n_samples ? static_cast<double>(cheap_us) / static_cast<double>(n_samples) : 0.0);
  std::printf("  detail tier:   %zu reads, %.1f us each\n", n_details,
              n_details ? static_cast<double>(detail_us) / static_cast<double>(n_details) : 0.0);
  std::string cleanup = std::string("rm -rf ") + tmpl;
  return system(cleanup.c_str()) == 0 ? 0 : 1;
}
