// The recording loop; see recorder.h.
#include "collect/recorder.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <algorithm>
#include <memory>

#include "base/file_util.h"
#include "base/scoped_fd.h"
#include "base/strings.h"
#include "base/time_util.h"
#include "collect/event_loop.h"
#include "collect/launcher.h"
#include "collect/stdout_marks.h"
#include "procfs/proc_status.h"
#include "store/capture_writer.h"

namespace leakscope::collect {
namespace {

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

int64_t read_mem_total() {
  std::string text;
  if (!read_file("/proc/meminfo", &text).is_ok()) return store::kNone;
  int64_t v = store::kNone;
  procfs::for_each_key_value(text, [&](std::string_view k, std::string_view val) {
    if (k == "MemTotal") procfs::parse_kb_value(val, &v);
  });
  return v;
}

// memory.max of the cgroup (v2) a process is in; kNone when unlimited or unknown.
int64_t read_cgroup_mem_max(pid_t pid) {
  std::string text;
  if (!read_file("/proc/" + std::to_string(pid) + "/cgroup", &text).is_ok()) return store::kNone;
  for (auto line : split(text, '\n')) {
    if (!starts_with(line, "0::")) continue;
    std::string path = "/sys/fs/cgroup" + std::string(line.substr(3));
    std::string max;
    if (!read_file(path + "/memory.max", &max).is_ok()) return store::kNone;
    uint64_t v = 0;
    if (trim(max) == "max" || !parse_u64(trim(max), &v)) return store::kNone;
    return static_cast<int64_t>(v);
  }
  return store::kNone;
}

int64_t read_nofile_limit(pid_t pid) {
  struct rlimit rl;
  if (::prlimit(pid, RLIMIT_NOFILE, nullptr, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return store::kNone;
  return static_cast<int64_t>(rl.rlim_cur);
}

store::RunInfo make_run_info(const std::string& mode, const std::string& command,
                             const std::vector<std::string>& argv, const RecordOptions& o) {
  store::RunInfo r;
  r.mode = mode;
  r.command = command;
  r.argv = argv;
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof(buf))) r.cwd = buf;
  struct utsname u;
  if (::uname(&u) == 0) {
    r.host = u.nodename;
    r.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  }
  r.leakscope_version = LEAKSCOPE_VERSION;
  r.tick_ms = o.sampling.tick_ms;
  r.detail_min_ms = o.sampling.detail_min_ms;
  r.page_size = ::sysconf(_SC_PAGESIZE);
  r.clock_ticks = clock_ticks_per_second();
  r.mem_total = read_mem_total();
  r.options_json = o.options_json;
  return r;
}

std::string format_elapsed(int64_t ms) {
  int64_t s = ms / 1000;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>((s / 60) % 60), static_cast<long long>(s % 60));
  return buf;
}

void write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // our stdout went away (EPIPE): keep recording, drop the copy
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
}

// Everything one recording needs, shared by run and attach.
class Session {
 public:
  Session(const RecordOptions& options, std::unique_ptr<store::CaptureWriter> writer,
          int64_t t0_mono_ns, bool subreaper)
      : options_(options),
        writer_(std::move(writer)),
        t0_(t0_mono_ns),
        tree_(writer_.get(), options.sampling, ::getpid(), subreaper) {}

  int64_t now_ms() const { return (monotonic_ns() - t0_) / 1000000; }
  ProcessTree& tree() { return tree_; }
  store::CaptureWriter& writer() { return *writer_; }
  EventLoop& loop() { return loop_; }

  Status start_ticks() {
    int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0) return errno_status(errno, "cannot create timer");
    timer_.reset(fd);
    struct itimerspec its = {};
    int64_t ns = options_.sampling.tick_ms * 1000000;
    its.it_interval.tv_sec = ns / 1000000000;
    its.it_interval.tv_nsec = ns % 1000000000;
    its.it_value = its.it_interval;
    if (::timerfd_settime(fd, 0, &its, nullptr) != 0) return errno_status(errno, "cannot arm timer");
    cpu_at_last_stat_ = process_cpu_ns();
    wall_at_last_stat_ = monotonic_ns();
    loop_.watch(fd, POLLIN, [this](short) { on_tick(); });
    return Status::ok();
  }

  // A tick out of schedule (the tree is known to be gone: record it and stop now).
  void tick_now() { on_tick(); }

  // One tick: discovery, sampling, and once a second the flush and the status line.
  void on_tick() {
    uint64_t expirations = 0;
    ssize_t n = ::read(timer_.get(), &expirations, sizeof(expirations));
    (void)n;
    int64_t t = now_ms();
    int full_every = std::max(1, options_.sampling.full_discovery_ticks);
    tree_.discover(t, tick_index_ % full_every == 0);
    TickStats st = tree_.sample(t, tick_index_++);
    if (heap_) heap_->on_tick(tree_, *writer_, t);
    cheap_us_ += st.cheap_read_us;
    detail_us_ += st.detail_read_us;
    samples_ += static_cast<size_t>(st.samples);
    if (t - last_flush_ms_ >= 1000) flush_second(t);
    if (options_.duration_ns > 0 && t * 1000000 >= options_.duration_ns) {
      duration_reached_ = true;
      loop_.stop();
    }
    if (should_stop_when_tree_empty_ && tree_.alive_count() == 0) loop_.stop();
  }

  void flush_second(int64_t t) {
    int64_t cpu = process_cpu_ns(), wall = monotonic_ns();
    writer_->add_recorder_stat({t, (cpu - cpu_at_last_stat_) / 1000, (wall - wall_at_last_stat_) / 1000,
                                static_cast<int64_t>(tree_.alive_count()), cheap_us_, detail_us_});
    cpu_at_last_stat_ = cpu;
    wall_at_last_stat_ = wall;
    cheap_us_ = detail_us_ = 0;
    Status s = writer_->flush();
    if (!s.is_ok() && !flush_error_reported_) {
      flush_error_reported_ = true;
      std::fprintf(stderr, "\nleakscope: warning: cannot write capture (%s); recording continues in memory\n",
                   s.message().c_str());
    }
    last_flush_ms_ = t;
    if (options_.live_status) {
      std::string line = "\r\033[K[leakscope] " + format_elapsed(t) + "  " +
                         std::to_string(tree_.alive_count()) +
                         (tree_.alive_count() == 1 ? " process  PSS " : " processes  PSS ") +
                         format_bytes(static_cast<double>(tree_.total_pss())) + "  " +
                         std::to_string(samples_) + " samples";
      write_all(STDERR_FILENO, line.data(), line.size());
      status_shown_ = true;
    }
  }

  void clear_status() {
    if (status_shown_) write_all(STDERR_FILENO, "\r\033[K", 4);
    status_shown_ = false;
  }

  Status finish(int exit_code, int exit_signal) {
    int64_t t = now_ms();
    if (heap_) heap_->finish(tree_, *writer_, t);
    tree_.finish(t);
    clear_status();
    return writer_->finish(t, exit_code, exit_signal);
  }

  void set_stop_when_tree_empty(bool v) { should_stop_when_tree_empty_ = v; }
  void set_heap(std::unique_ptr<HeapRecording> heap) { heap_ = std::move(heap); }
  bool duration_reached() const { return duration_reached_; }

 private:
  const RecordOptions& options_;
  std::unique_ptr<store::CaptureWriter> writer_;
  int64_t t0_;
  ProcessTree tree_;
  std::unique_ptr<HeapRecording> heap_;
  EventLoop loop_;
  ScopedFd timer_;
  int64_t tick_index_ = 0;
  int64_t last_flush_ms_ = 0;
  int64_t cheap_us_ = 0, detail_us_ = 0;
  int64_t cpu_at_last_stat_ = 0, wall_at_last_stat_ = 0;
  size_t samples_ = 0;
  bool status_shown_ = false;
  bool flush_error_reported_ = false;
  bool should_stop_when_tree_empty_ = true;
  bool duration_reached_ = false;
};

struct SignalSetup {
  sigset_t original_mask;
  struct sigaction original_sigpipe;
  ScopedFd fd;
};

StatusOr<SignalSetup> block_signals(bool with_sigchld) {
  SignalSetup s;
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  if (with_sigchld) sigaddset(&set, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &set, &s.original_mask) != 0)
    return errno_status(errno, "cannot block signals");
  struct sigaction ign = {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &s.original_sigpipe);
  int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return errno_status(errno, "cannot create signalfd");
  s.fd.reset(fd);
  return s;
}

void restore_signals(const SignalSetup& s) {
  ::sigaction(SIGPIPE, &s.original_sigpipe, nullptr);
  ::sigprocmask(SIG_SETMASK, &s.original_mask, nullptr);
}

}  // namespace

StatusOr<RecordResult> record_command(const std::vector<std::string>& argv,
                                      const RecordOptions& options) {
  std::optional<StdoutMarkScanner> scanner;
  if (!options.mark_regex.empty()) {
    auto s = StdoutMarkScanner::create(options.mark_regex);
    if (!s.is_ok()) return s.status();
    scanner = std::move(s).value();
  }
  RecordOptions opts = options;
  int64_t t0 = monotonic_ns();
  store::RunInfo run = make_run_info("run", shell_join(argv), argv, opts);
  run.start_unix_ns = realtime_ns();
  run.start_boot_ns = boot_time_ns();
  opts.sampling.run_start_boot_ns = run.start_boot_ns;
  run.nofile_limit = read_nofile_limit(::getpid());  // the child inherits ours
  run.cgroup_mem_max = read_cgroup_mem_max(::getpid());
  ASSIGN_OR_RETURN(auto writer, store::CaptureWriter::create(opts.output, run));

  ASSIGN_OR_RETURN(SignalSetup sig, block_signals(true));
  // Orphans of the tree are reparented to us, so they stay in the tree and get reaped.
  bool subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

  LaunchOptions lo;
  lo.argv = argv;
  lo.capture_stdout = scanner.has_value();
  lo.original_mask = sig.original_mask;
  lo.original_sigpipe = sig.original_sigpipe;
  lo.extra_env = opts.extra_env;
  std::unique_ptr<HeapRecording> heap;
  if (opts.heap.enabled) {
    auto started = HeapRecording::start(opts.heap, t0);
    if (!started.is_ok()) {
      restore_signals(sig);
      writer.reset();
      ::unlink(opts.output.c_str());
      return started.status();
    }
    heap = std::move(started).value();
    for (const auto& e : heap->child_env()) lo.extra_env.push_back(e);
  }
  auto launched = launch(lo);
  if (!launched.is_ok()) {
    restore_signals(sig);
    writer.reset();
    ::unlink(opts.output.c_str());
    return launched.status();
  }
  pid_t child = launched->pid;
  if (heap) heap->set_root(child, argv[0]);
  Session session(opts, std::move(writer), t0, subreaper);
  session.set_heap(std::move(heap));
  (void)session.tree().add_root(child, session.now_ms());
  session.tree().discover(session.now_ms());
  // A first sample right away: short-lived commands get at least one.
  session.tree().sample(session.now_ms(), 0);

  int root_status = -1;
  bool root_reaped = false;
  int interrupts = 0;
  RecordResult result;
  result.output = opts.output;
  std::vector<store::Mark> marks;

  // As a subreaper every live descendant is our child or below one, so "no children"
  // after the root's exit means the whole tree is gone: end now, not at the next tick
  // (a short command then costs no 100 ms of waiting).
  bool tree_gone = false;
  auto reap = [&]() {
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid < 0 && errno == ECHILD && subreaper && root_reaped) tree_gone = true;
      if (pid <= 0) break;
      session.tree().on_reaped(pid, status, session.now_ms());
      if (pid == child) {
        root_status = status;
        root_reaped = true;
      }
    }
  };

  session.loop().watch(sig.fd.get(), POLLIN, [&](short) {
    struct signalfd_siginfo si;
    while (::read(sig.fd.get(), &si, sizeof(si)) == sizeof(si)) {
      int signo = static_cast<int>(si.ssi_signo);
      if (signo == SIGCHLD) {
        reap();
        if (tree_gone) session.tick_now();
        continue;
      }
      // Signals from the terminal already reached the target (same process group); only
      // forward those another process sent to us, like `kill <leakscope pid>`.
      if ((si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE) && !root_reaped)
        ::kill(child, signo);
      if (++interrupts >= 3) {
        result.interrupted = true;
        session.loop().stop();
      }
    }
  });

  ScopedFd out_fd = std::move(launched->stdout_read);
  // At stdout's end a last line without a newline still counts; once, whether the loop
  // saw the end or stopped before it.
  bool stdout_finished = false;
  auto finish_stdout = [&]() {
    if (stdout_finished) return;
    stdout_finished = true;
    marks.clear();
    scanner->finish(session.now_ms(), &marks);
    for (const auto& m : marks) session.writer().add_mark(m);
  };
  if (out_fd.valid()) {
    ::fcntl(out_fd.get(), F_SETFL, ::fcntl(out_fd.get(), F_GETFL) | O_NONBLOCK);
    session.loop().watch(out_fd.get(), POLLIN, [&](short) {
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(out_fd.get(), buf, sizeof(buf));
        if (n > 0) {
          write_all(STDOUT_FILENO, buf, static_cast<size_t>(n));
          marks.clear();
          scanner->feed(std::string_view(buf, static_cast<size_t>(n)), session.now_ms(), &marks);
          for (const auto& m : marks) session.writer().add_mark(m);
          continue;
        }
        if (n == 0) {  // every writer closed stdout
          finish_stdout();
          session.loop().unwatch(out_fd.get());
        }
        break;
      }
    });
  }

  RETURN_IF_ERROR(session.start_ticks());
  Status loop_status = session.loop().run();
  reap();
  // A tick can find the root gone (its memory torn down, /proc reads failing) a moment
  // before it is a zombie we can reap. Unless we stopped early, wait for that moment: the
  // command's exit status is ours.
  if (!root_reaped && !result.interrupted && !session.duration_reached() && loop_status.is_ok()) {
    int status = 0;
    pid_t pid;
    do {
      pid = ::waitpid(child, &status, 0);
    } while (pid < 0 && errno == EINTR);
    if (pid == child) {
      session.tree().on_reaped(child, status, session.now_ms());
      root_status = status;
      root_reaped = true;
    }
  }
  // Drain what the target wrote after the last poll.
  if (out_fd.valid()) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(out_fd.get(), buf, sizeof(buf))) > 0) {
      write_all(STDOUT_FILENO, buf, static_cast<size_t>(n));
      marks.clear();
      scanner->feed(std::string_view(buf, static_cast<size_t>(n)), session.now_ms(), &marks);
      for (const auto& m : marks) session.writer().add_mark(m);
    }
    finish_stdout();
  }
  if (root_reaped) {
    if (WIFEXITED(root_status)) result.exit_code = WEXITSTATUS(root_status);
    if (WIFSIGNALED(root_status)) result.exit_signal = WTERMSIG(root_status);
  }
  result.duration_ms = session.now_ms();
  Status fs = session.finish(root_reaped ? result.exit_code : -1,
                             root_reaped && result.exit_signal ? result.exit_signal : -1);
  // After finish: processes known only from their heap data (too short-lived for a procfs
  // pass) join the tree there.
  result.processes = session.tree().total_count();
  result.rows = session.writer().rows_written();
  restore_signals(sig);
  RETURN_IF_ERROR(loop_status);
  RETURN_IF_ERROR(fs);
  return result;
}

StatusOr<RecordResult> record_attached(pid_t pid, const RecordOptions& options) {
  RecordOptions opts = options;
  // Check the pid before creating a capture file.
  {
    auto reader = ProcessReader::open(pid);
    if (!reader.is_ok()) {
      if (reader.status().code() == StatusCode::kNotFound)
        return Status(StatusCode::kNotFound, "no such process " + std::to_string(pid),
                      "/proc/" + std::to_string(pid) + " does not exist",
                      "check the pid with `ps -e`");
      return reader.status();
    }
    store::DetailSample d;
    Status s = reader->read_detail(&d);
    if (s.code() == StatusCode::kPermissionDenied)
      return Status(StatusCode::kPermissionDenied,
                    "cannot read the memory of process " + std::to_string(pid),
                    "permission denied on /proc/" + std::to_string(pid) + "/smaps_rollup",
                    "run leakscope as the process's user or as root");
  }
  int64_t t0 = monotonic_ns();
  std::vector<std::string> argv = {"attach", std::to_string(pid)};
  store::RunInfo run = make_run_info("attach", "attach " + std::to_string(pid), argv, opts);
  run.start_unix_ns = realtime_ns();
  run.start_boot_ns = boot_time_ns();
  opts.sampling.run_start_boot_ns = run.start_boot_ns;
  run.nofile_limit = read_nofile_limit(pid);
  run.cgroup_mem_max = read_cgroup_mem_max(pid);
  ASSIGN_OR_RETURN(auto writer, store::CaptureWriter::create(opts.output, run));
  ASSIGN_OR_RETURN(SignalSetup sig, block_signals(false));
  Session session(opts, std::move(writer), t0, false);
  Status root = session.tree().add_root(pid, session.now_ms());
  if (!root.is_ok()) {
    restore_signals(sig);
    return root;
  }
  session.tree().discover(session.now_ms());
  session.tree().sample(session.now_ms(), 0);
  RecordResult result;
  result.output = opts.output;
  session.loop().watch(sig.fd.get(), POLLIN, [&](short) {
    struct signalfd_siginfo si;
    while (::read(sig.fd.get(), &si, sizeof(si)) == sizeof(si)) {
      result.interrupted = true;  // attach never signals the target: any signal stops us
      session.loop().stop();
    }
  });
  RETURN_IF_ERROR(session.start_ticks());
  Status loop_status = session.loop().run();
  result.duration_ms = session.now_ms();
  Status fs = session.finish(-1, -1);
  result.processes = session.tree().total_count();
  result.rows = session.writer().rows_written();
  restore_signals(sig);
  RETURN_IF_ERROR(loop_status);
  RETURN_IF_ERROR(fs);
  return result;
}

}  // namespace leakscope::collect
