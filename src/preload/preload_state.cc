// Lifecycle of the preload library in one process: lazy init on the first hook call (env,
// clock, identity, connection + Hello), the constructor's second phase (DWARF unwinder, fork
// handlers, flusher thread, module list), the destructor's final flush, and the
// connection itself: whole messages on a SOCK_SEQPACKET socket, re-established when the
// program closes or reuses our descriptor, and tracking turned off when the collector goes
// away — never an abort.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "preload/preload.h"

namespace leakscope::preload {

Globals g;

namespace {

SpinLock g_conn_lock;
uint64_t g_fork_id = 0;
uint64_t g_parent_nonce = 0;
GuardToken g_fork_guard;  // the forking thread runs our code from prepare to parent/child

// Reads a small file with raw calls into buf (terminated); returns the length or -1.
ssize_t read_small_file(const char* path, char* buf, size_t cap) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = 0;
  while (static_cast<size_t>(n) + 1 < cap) {
    ssize_t r = ::read(fd, buf + n, cap - 1 - static_cast<size_t>(n));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += r;
  }
  ::close(fd);
  buf[n] = 0;
  return n;
}

uint64_t read_start_ticks() {
  char buf[1024];
  if (read_small_file("/proc/self/stat", buf, sizeof(buf)) <= 0) return 0;
  const char* p = buf;
  for (const char* q = buf; *q; ++q)
    if (*q == ')') p = q + 1;  // comm may contain ')': the last one ends it
  // Fields after "pid (comm)" start at field 3; starttime is field 22.
  for (int field = 3; *p; ++field) {
    while (*p == ' ') ++p;
    if (field == 22) break;
    while (*p && *p != ' ') ++p;
  }
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  return v;
}

bool clocksource_is_tsc() {
#if defined(__x86_64__)
  char buf[64];
  if (read_small_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", buf,
                      sizeof(buf)) <= 0)
    return false;
  return str_starts(buf, "tsc");
#else
  return false;
#endif
}

bool parse_mode(const char* mode) {
  if (mode == nullptr || *mode == 0 || str_eq(mode, "full")) {
    g.sample_interval = 0;
    return true;
  }
  if (str_starts(mode, "sample:")) return parse_u64_text(mode + 7, &g.sample_interval) && g.sample_interval > 0;
  return false;
}

void read_identity() {
  g.pid = ::getpid();
  g.ppid = ::getppid();
  g.start_ticks = read_start_ticks();
  ssize_t n = ::readlink("/proc/self/exe", g.exe_path, sizeof(g.exe_path) - 1);
  g.exe_path[n > 0 ? n : 0] = 0;
  g.image_nonce = random_u64() | 1;
}

bool socket_identity(int fd, uint64_t* dev, uint64_t* ino) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return true;
}

// A descriptor far from the low numbers programs expect to get from open().
int move_fd_high(int fd) {
  struct rlimit rl;
  int floor = 900;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur < 1000)
    floor = rl.rlim_cur > 64 ? static_cast<int>(rl.rlim_cur) - 32 : 3;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (high < 0) return fd;
  ::close(fd);
  return high;
}

void fork_prepare() {
  g_fork_guard = guard_enter();  // until the parent or child handler: the fork is not recorded
  if (g.state.load() != static_cast<int>(State::kActive)) return;
  g_fork_id = g.fork_seq.fetch_add(1) + 1;
  lock_all_slots_for_fork();
  sampler_lock_for_fork();
  format::ForkMarker m = {};
  m.header.type = static_cast<uint16_t>(format::MsgType::kFork);
  m.header.bytes = sizeof(m);
  m.fork_id = g_fork_id;
  send_message(&m, sizeof(m), nullptr, 0, 0);
}

void fork_parent() {
  sampler_unlock_after_fork();
  if (g.state.load() == static_cast<int>(State::kActive)) unlock_all_slots_after_fork(false);
  guard_leave(g_fork_guard);
}

void fork_child() {
  threads_after_fork_child(&g_fork_guard);
  sampler_unlock_after_fork();
  if (g.state.load() == static_cast<int>(State::kActive)) {
    int inherited = g.sock_fd.exchange(-1);
    if (inherited >= 0) ::close(inherited);  // the parent's connection, not ours
    g_parent_nonce = g.image_nonce;
    read_identity();
    g.lost_events.store(0);
    unlock_all_slots_after_fork(true);
    unwind_after_fork_child();
    if (!connect_and_hello(format::kHelloForkChild, g_parent_nonce, g_fork_id))
      turn_off("cannot connect to the collector after fork");
  }
  guard_leave(g_fork_guard);
}

// True when the collector said the recording ended (MsgType::kRecordingEnded) before it
// closed our connection: the only thing it ever sends us.
bool recording_ended(int fd) {
  format::MsgHeader h = {};
  ssize_t n = ::recv(fd, &h, sizeof(h), MSG_DONTWAIT);
  return n == static_cast<ssize_t>(sizeof(h)) &&
         h.type == static_cast<uint16_t>(format::MsgType::kRecordingEnded);
}
}  // namespace

bool send_message(const void* a, size_t a_len, const void* b, size_t b_len, uint64_t events) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = g.sock_fd.load(std::memory_order_acquire);
    if (fd < 0) break;
    uint64_t dev = 0, ino = 0;
    if (!socket_identity(fd, &dev, &ino) || dev != g.sock_dev || ino != g.sock_ino) {
      // The program closed our descriptor (and maybe reused the number): connect anew.
      g_conn_lock.lock();
      bool same = g.sock_fd.load() != fd;
      if (!same) {
        g.sock_fd.store(-1);
        same = connect_and_hello(format::kHelloReconnect, 0, 0);
      }
      g_conn_lock.unlock();
      if (!same) break;
      continue;
    }
    struct iovec iov[2] = {{const_cast<void*>(a), a_len}, {const_cast<void*>(b), b_len}};
    struct msghdr msg = {};
    msg.msg_iov = iov;
    msg.msg_iovlen = b_len ? 2 : 1;
    for (;;) {
      ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (n >= 0) return true;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EMSGSIZE) {
        g.lost_events.fetch_add(events, std::memory_order_relaxed);
        return false;
      }
      if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN || errno == ECONNREFUSED) {
        g.lost_events.fetch_add(events, std::memory_order_relaxed);
        if (recording_ended(fd)) g.state.store(static_cast<int>(State::kOff));
        else turn_off("the collector went away; tracking stopped");
        return false;
      }
      break;  // EBADF/ENOTSOCK: re-check the descriptor
    }
  }
  g.lost_events.fetch_add(events, std::memory_order_relaxed);
  return false;
}

bool connect_and_hello(uint32_t flags, uint64_t parent_nonce, uint64_t fork_id) {
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int sndbuf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  // A collector that stops reading costs lost events, never a hung program.
  struct timeval tv = {60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  str_copy(addr.sun_path, sizeof(addr.sun_path), g.socket_path);
  int r;
  do {
    r = ::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    ::close(fd);
    return false;
  }
  fd = move_fd_high(fd);
  if (!socket_identity(fd, &g.sock_dev, &g.sock_ino)) {
    ::close(fd);
    return false;
  }
  format::Hello h = {};
  h.header.type = static_cast<uint16_t>(format::MsgType::kHello);
  size_t exe_len = str_len(g.exe_path);
  h.header.bytes = static_cast<uint32_t>(sizeof(h) + exe_len);
  h.magic = format::kHeapWireMagic;
  h.version = format::kHeapWireVersion;
  h.pid = g.pid;
  h.ppid = g.ppid;
  h.start_ticks = g.start_ticks;
  h.image_nonce = g.image_nonce;
  h.parent_nonce = parent_nonce;
  h.fork_id = fork_id;
  h.sample_interval = g.sample_interval;
  h.clock = static_cast<uint32_t>(g.use_tsc ? format::ClockKind::kTsc : format::ClockKind::kMonotonicNs);
  h.flags = flags;
  h.status = static_cast<uint32_t>(format::HeapStatus::kTracking);
  h.exe_len = static_cast<uint32_t>(exe_len);
  // The Hello goes out before the descriptor is published, so that no other thread's
  // message can precede it on this connection.
  struct iovec iov[2] = {{&h, sizeof(h)}, {g.exe_path, exe_len}};
  struct msghdr msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  ssize_t n;
  do {
    n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ::close(fd);
    return false;
  }
  g.sock_fd.store(fd, std::memory_order_release);
  return true;
}

void turn_off(const char* why) {
  int was = g.state.exchange(static_cast<int>(State::kOff));
  if (was != static_cast<int>(State::kActive)) return;
  char text[256];
  size_t n = str_copy(text, sizeof(text), why);
  n += str_copy(text + n, sizeof(text) - n, " (pid ");
  char digits[16];
  int d = 0;
  for (unsigned v = static_cast<unsigned>(::getpid()); v || d == 0; v /= 10) digits[d++] = static_cast<char>('0' + v % 10);
  while (d > 0 && n + 2 < sizeof(text)) text[n++] = digits[--d];
  text[n++] = ')';
  text[n] = 0;
  say_once(text);
  send_status(format::HeapStatus::kOff, text);
}

void send_status(format::HeapStatus status, const char* text) {
  format::StatusMsg m = {};
  size_t len = str_len(text);
  m.header.type = static_cast<uint16_t>(format::MsgType::kStatus);
  m.header.bytes = static_cast<uint32_t>(sizeof(m) + len);
  m.status = static_cast<uint32_t>(status);
  m.text_len = static_cast<uint32_t>(len);
  send_message(&m, sizeof(m), text, len, 0);
}

void send_stats() {
  format::StatsMsg m = {};
  m.header.type = static_cast<uint16_t>(format::MsgType::kStats);
  m.header.bytes = sizeof(m);
  uint64_t counts[5];
  sum_slot_stats(counts);
  m.cfi_stacks = counts[0];
  m.dwarf_stacks = counts[1];
  m.cached_stacks = counts[2];
  m.truncated_stacks = counts[3];
  m.tail_reuses = counts[4];
  m.lost_events = g.lost_events.load(std::memory_order_relaxed);
  m.sample_set_full = g.sample_set_full.load(std::memory_order_relaxed);
  send_message(&m, sizeof(m), nullptr, 0, 0);
}

void send_exit_marker(format::ExitKind kind) {
  format::ExitMarker m = {};
  m.header.type = static_cast<uint16_t>(format::MsgType::kExit);
  m.header.bytes = sizeof(m);
  m.kind = static_cast<uint32_t>(kind);
  send_message(&m, sizeof(m), nullptr, 0, 0);
}

void ensure_init() {
  int expected = static_cast<int>(State::kUninit);
  if (!g.state.compare_exchange_strong(expected, static_cast<int>(State::kIniting))) return;
  GuardScope guard;
  resolve_real_functions();
  find_allocator_text();  // before any mmap is recorded
  const char* sock = ::getenv(format::kEnvSocket);
  if (sock == nullptr || *sock == 0) {
    g.state.store(static_cast<int>(State::kOff));  // loaded without leakscope: stay silent
    return;
  }
  const char* mode = ::getenv(format::kEnvMode);
  str_copy(g.socket_path, sizeof(g.socket_path), sock);
  str_copy(g.mode_text, sizeof(g.mode_text), mode ? mode : "full");
  if (!parse_mode(mode)) {
    g.state.store(static_cast<int>(State::kOff));
    say_once("bad LEAKSCOPE_HEAP_MODE (want full or sample:BYTES); not tracking");
    return;
  }
  g.use_tsc = clocksource_is_tsc();
  uint64_t depth = 0;
  const char* depth_text = ::getenv(format::kEnvDepth);
  if (depth_text && parse_u64_text(depth_text, &depth) && depth >= 1 &&
      depth <= static_cast<uint64_t>(format::kMaxStackDepth))
    g.stack_depth = static_cast<int>(depth);
  Dl_info self = {};
  if (::dladdr(reinterpret_cast<void*>(&ensure_init), &self) && self.dli_fname)
    str_copy(g.library_path, sizeof(g.library_path), self.dli_fname);
  read_identity();
  threads_init();
  buffers_init();
  if (!connect_and_hello(0, 0, 0)) {
    g.state.store(static_cast<int>(State::kOff));
    say_once("cannot connect to the collector; not tracking this process");
    return;
  }
  g.state.store(static_cast<int>(State::kActive), std::memory_order_release);
}

namespace {

__attribute__((constructor)) void preload_constructor() {
  ensure_init();
  if (g.state.load() != static_cast<int>(State::kActive)) return;
  GuardScope guard;
  if (!check_interposed()) {
    // The collector records it and says so on its own stderr, not the program's.
    send_status(format::HeapStatus::kOwnMalloc,
                "the program (or a library loaded before leakscope) defines its own malloc");
    g.state.store(static_cast<int>(State::kOff));
    return;
  }
  unwind_load_unwinder();
  ::pthread_atfork(fork_prepare, fork_parent, fork_child);
  if (!start_flusher()) say_once("cannot start the flusher thread; idle threads' events arrive late");
  send_modules();
  resolve_real_functions();  // usually done by the first malloc; the fast paths need them
  fast_sampling_start();
}

__attribute__((destructor)) void preload_destructor() {
  if (g.state.load() != static_cast<int>(State::kActive)) return;
  GuardScope guard;
  // Later destructors may still allocate and free: from now on every event goes out at once.
  g.final_flush.store(true);
  flush_all_slots();
  send_stats();
  send_exit_marker(format::ExitKind::kExit);
}

}  // namespace

}  // namespace leakscope::preload
