// The heap ingest thread; see heap_ingest.h.
#include "collect/heap_ingest.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "base/file_util.h"
#include "base/time_util.h"
#include "collect/heap_elf.h"
#include "collect/heap_wire_decoder.h"
#include "format/heap_wire.h"
#include "procfs/proc_stat.h"

namespace leakscope::collect {
namespace {

uint64_t read_tsc() {
#if defined(__x86_64__)
  uint32_t lo, hi;
  __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t{hi} << 32) | lo;
#else
  return 0;
#endif
}

// The process is still the one that connected (same start time, not a zombie).
bool process_alive(pid_t pid, uint64_t start_ticks) {
  std::string text;
  if (!read_file("/proc/" + std::to_string(pid) + "/stat", &text).is_ok()) return false;
  procfs::ProcStat st;
  if (!procfs::parse_proc_stat(text, &st).is_ok()) return false;
  return st.starttime_ticks == start_ticks && st.state != 'Z' && st.state != 'X';
}

uint64_t start_ticks_of(pid_t pid) {
  std::string text;
  procfs::ProcStat st;
  if (!read_file("/proc/" + std::to_string(pid) + "/stat", &text).is_ok() ||
      !procfs::parse_proc_stat(text, &st).is_ok())
    return 0;
  return st.starttime_ticks;
}

}  // namespace

struct HeapIngest::Loop {
  explicit Loop(HeapIngest* s) : self(s), aggregator(s->options_.aggregator), router(&aggregator) {}

  HeapIngest* self;
  HeapAggregator aggregator;
  HeapWireRouter router;
  std::map<int, ScopedFd> conns;  // by fd number (the router's ConnId)
  ScopedFd timer;
  std::vector<uint8_t> buf = std::vector<uint8_t>(format::kMaxMessageBytes + 4096);
  uint64_t tsc0 = 0;
  int64_t mono0 = 0;

  int64_t now_ms() const { return (monotonic_ns() - self->options_.t0_mono_ns) / 1000000; }

  void calibrate() {
    uint64_t tsc = read_tsc();
    int64_t mono = monotonic_ns();
    if (tsc0 == 0) {
      tsc0 = tsc;
      mono0 = mono;
      return;
    }
    if (mono - mono0 > 5000000 && tsc > tsc0)
      aggregator.set_tsc_rate(static_cast<double>(tsc - tsc0) / static_cast<double>(mono - mono0));
  }

  void accept_all() {
    for (;;) {
      int fd = ::accept4(self->listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      struct ucred cred = {};
      socklen_t len = sizeof(cred);
      pid_t peer = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
      router.open(fd, peer, peer ? start_ticks_of(peer) : 0);
      conns.emplace(fd, ScopedFd(fd));
    }
  }

  void close_conn(int fd) {
    router.close(fd);
    conns.erase(fd);
  }

  // Reads up to `max` messages from fd. Returns false once the connection is gone.
  bool read_conn(int fd, int max) {
    for (int i = 0; i < max; ++i) {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        close_conn(fd);
        return false;
      }
      if (n == 0) {
        close_conn(fd);
        return false;
      }
      if (static_cast<size_t>(n) > buf.size()) {  // larger than any valid message
        close_conn(fd);
        return false;
      }
      if (!feed(fd, static_cast<size_t>(n))) return false;
    }
    return true;
  }

  bool feed(int fd, size_t len) {
    auto r = router.feed(fd, buf.data(), len);
    if (r.result == HeapWireRouter::Result::kNeedParent) {
      // The parent's fork marker sits in its own connection, already sent: read it first.
      std::vector<uint8_t> held(buf.begin(), buf.begin() + static_cast<long>(len));
      int parent = r.needed_conn;
      for (int rounds = 0; rounds < 1024 && conns.count(parent); ++rounds) {
        if (!read_conn(parent, 1)) break;
        if (router.feed(fd, held.data(), held.size()).result != HeapWireRouter::Result::kNeedParent) {
          return true;
        }
        // Nothing more queued on the parent: the marker is not coming (fork failed).
        struct pollfd p = {parent, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
      }
      r = router.feed(fd, held.data(), held.size(), /*force=*/true);
    }
    if (r.result == HeapWireRouter::Result::kClose) {
      close_conn(fd);
      return false;
    }
    return true;
  }

  void check_disconnected() {
    for (const auto& d : router.disconnected_images())
      if (!process_alive(d.pid, d.start_ticks)) router.close_image(d.image);
  }

  void apply_untracked() {
    std::vector<Untracked> untracked;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      untracked.swap(self->untracked_);
    }
    for (const auto& u : untracked)
      if (!aggregator.knows(u.key)) aggregator.note_untracked(u.key, u.ppid, u.exe, u.status);
  }

  void tick() {
    calibrate();
    check_disconnected();
    apply_untracked();
    HeapReport report = aggregator.snapshot(now_ms());
    for (const auto& p : report.processes) {
      if (!p.wants_maps) continue;
      auto mods = read_process_modules(p.key.pid);
      if (mods.is_ok() && process_alive(p.key.pid, p.key.start_ticks)) aggregator.add_modules(p.key, *mods);
    }
    size_t mem = aggregator.memory_bytes();
    if (mem > self->peak_memory_.load()) self->peak_memory_.store(mem);
    std::lock_guard<std::mutex> lock(self->mu_);
    self->reports_.push_back(std::move(report));
  }

  void run() {
    calibrate();
    int64_t tick_ns = self->options_.tick_ms * 1000000;
    timer.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    struct itimerspec its = {};
    its.it_interval.tv_sec = tick_ns / 1000000000;
    its.it_interval.tv_nsec = tick_ns % 1000000000;
    // Ticks on the recording's clock: the first at t = tick.
    int64_t first = tick_ns - (monotonic_ns() - self->options_.t0_mono_ns) % tick_ns;
    its.it_value.tv_sec = first / 1000000000;
    its.it_value.tv_nsec = first % 1000000000;
    ::timerfd_settime(timer.get(), 0, &its, nullptr);

    std::vector<struct pollfd> fds;
    int64_t drain_deadline = 0;
    for (;;) {
      bool stopping = self->stopping_.load();
      if (stopping && drain_deadline == 0) {
        drain_deadline = monotonic_ns() + self->drain_ms_ * 1000000;
        accept_all();
      }
      if (stopping) {
        check_disconnected();
        if (conns.empty() || monotonic_ns() >= drain_deadline) break;
      }
      fds.clear();
      fds.push_back({self->listen_fd_.get(), POLLIN, 0});
      fds.push_back({self->wake_fd_.get(), POLLIN, 0});
      fds.push_back({timer.get(), POLLIN, 0});
      for (const auto& [fd, owned] : conns) fds.push_back({fd, POLLIN, 0});
      int n = ::poll(fds.data(), fds.size(), stopping ? 50 : 1000);
      if (n < 0 && errno != EINTR) break;
      if (n <= 0) continue;
      if (fds[0].revents & POLLIN) accept_all();
      if (fds[1].revents & POLLIN) {
        uint64_t v;
        ssize_t r = ::read(self->wake_fd_.get(), &v, sizeof(v));
        (void)r;
      }
      if (fds[2].revents & POLLIN) {
        uint64_t expirations;
        ssize_t r = ::read(timer.get(), &expirations, sizeof(expirations));
        (void)r;
        tick();
      }
      for (size_t i = 3; i < fds.size(); ++i)
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read_conn(fds[i].fd, 64);
    }
    // Connections still open belong to processes that outlive the recording: they are told
    // it ended, so their preload stops quietly instead of saying the collector went away.
    format::MsgHeader bye = {};
    bye.type = static_cast<uint16_t>(format::MsgType::kRecordingEnded);
    bye.bytes = sizeof(bye);
    for (const auto& [fd, owned] : conns) {
      ssize_t r = ::send(fd, &bye, sizeof(bye), MSG_DONTWAIT | MSG_NOSIGNAL);
      (void)r;  // a full or closed socket: that process hears nothing, as before
    }
    check_disconnected();
    apply_untracked();
    HeapReport last = aggregator.finish(now_ms());
    std::lock_guard<std::mutex> lock(self->mu_);
    self->final_report_ = std::move(last);
  }
};

StatusOr<std::unique_ptr<HeapIngest>> HeapIngest::start(const HeapIngestOptions& options) {
  std::unique_ptr<HeapIngest> in(new HeapIngest());
  in->options_ = options;
  const char* tmp = ::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/leakscope-heap-XXXXXX";
  std::vector<char> dir(pattern.begin(), pattern.end());
  dir.push_back('\0');
  if (::mkdtemp(dir.data()) == nullptr)
    return errno_status(errno, "cannot create a folder for the heap socket in " + pattern,
                        "set TMPDIR to a writable folder");
  in->dir_ = dir.data();
  in->socket_path_ = in->dir_ + "/heap.sock";
  struct sockaddr_un addr = {};
  if (in->socket_path_.size() >= sizeof(addr.sun_path))
    return Status(StatusCode::kInvalidArgument, "heap socket path too long: " + in->socket_path_,
                  "unix socket paths are limited to 107 bytes", "set TMPDIR to a shorter path");
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return errno_status(errno, "cannot create the heap socket");
  in->listen_fd_.reset(fd);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, in->socket_path_.c_str(), in->socket_path_.size() + 1);
  if (::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0)
    return errno_status(errno, "cannot bind the heap socket " + in->socket_path_);
  if (::listen(fd, 512) != 0) return errno_status(errno, "cannot listen on the heap socket");
  int rcv = 8 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  in->wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!in->wake_fd_.valid()) return errno_status(errno, "cannot create an eventfd");
  HeapIngest* raw = in.get();
  in->thread_ = std::thread([raw] { raw->run(); });
  return in;
}

HeapIngest::~HeapIngest() {
  if (thread_.joinable()) {
    drain_ms_ = 0;
    stopping_.store(true);
    uint64_t one = 1;
    ssize_t r = ::write(wake_fd_.get(), &one, sizeof(one));
    (void)r;
    thread_.join();
  }
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

void HeapIngest::run() {
  Loop loop(this);
  loop.run();
}

std::vector<HeapReport> HeapIngest::take_reports() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HeapReport> out;
  out.swap(reports_);
  return out;
}

void HeapIngest::note_untracked(const HeapProcessKey& key, int32_t ppid, const std::string& exe,
                                const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  untracked_.push_back({key, ppid, exe, status});
}

HeapReport HeapIngest::stop(int64_t drain_ms) {
  if (thread_.joinable()) {
    drain_ms_ = drain_ms;
    stopping_.store(true);
    uint64_t one = 1;
    ssize_t r = ::write(wake_fd_.get(), &one, sizeof(one));
    (void)r;
    thread_.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(final_report_);
}

}  // namespace leakscope::collect
