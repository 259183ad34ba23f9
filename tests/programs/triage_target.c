// A process with a known set of open fds, sockets, threads and glibc arenas, for the
// `leakscope triage` tests. It opens (besides the stdio it inherits):
//   3 regular files (its own executable), 1 deleted file, 1 directory, 1 memfd,
//   1 pipe (2 fds), 1 eventfd, 1 epoll, 1 timerfd, 1 signalfd,
//   TCP on 127.0.0.1: 1 LISTEN, 2 ESTABLISHED (both ends of one connection) and
//   1 CLOSE_WAIT (the peer closed, this process keeps its end), 1 UDP socket,
//   1 unix socketpair (2 fds),
// then starts N worker threads (argv[1], default 6) that each allocate 2 MiB in small
// blocks, so that glibc gives each thread its own 64 MiB-aligned arena. When all of that
// is in place it prints "ready PID" on stdout and sleeps until killed.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

static pthread_barrier_t g_started;

static void die(const char* what) {
  perror(what);
  exit(1);
}

static int check(int fd, const char* what) {
  if (fd < 0) die(what);
  return fd;
}

static void* worker(void* arg) {
  (void)arg;
  // 64 KiB blocks stay below the mmap threshold, so they come from this thread's arena.
  enum { kBlocks = 32, kBlockSize = 64 * 1024 };
  static __thread char* blocks[kBlocks];
  for (int i = 0; i < kBlocks; ++i) {
    blocks[i] = malloc(kBlockSize);
    if (blocks[i] == NULL) die("malloc");
    memset(blocks[i], i + 1, kBlockSize);
  }
  pthread_barrier_wait(&g_started);
  for (;;) pause();
  return NULL;
}

static int tcp_socket(void) { return check(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"); }

static void connect_to(int fd, const struct sockaddr_in* addr) {
  if (connect(fd, (const struct sockaddr*)addr, sizeof(*addr)) != 0) die("connect");
}

static void open_sockets(void) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int listener = tcp_socket();
  if (bind(listener, (struct sockaddr*)&addr, sizeof(addr)) != 0) die("bind");
  if (listen(listener, 8) != 0) die("listen");
  socklen_t len = sizeof(addr);
  if (getsockname(listener, (struct sockaddr*)&addr, &len) != 0) die("getsockname");

  int client = tcp_socket();  // ESTABLISHED, both ends kept
  connect_to(client, &addr);
  check(accept4(listener, NULL, NULL, SOCK_CLOEXEC), "accept");

  int closer = tcp_socket();  // its peer end ends in CLOSE_WAIT
  connect_to(closer, &addr);
  int half = check(accept4(listener, NULL, NULL, SOCK_CLOEXEC), "accept");
  close(closer);
  char c;
  if (read(half, &c, 1) != 0) die("read (expected EOF)");  // the FIN has arrived

  int udp = check(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "udp socket");
  struct sockaddr_in uaddr = addr;
  uaddr.sin_port = 0;
  if (bind(udp, (struct sockaddr*)&uaddr, sizeof(uaddr)) != 0) die("udp bind");

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair");
}

static void open_files(void) {
  for (int i = 0; i < 3; ++i) check(open("/proc/self/exe", O_RDONLY | O_CLOEXEC), "open exe");
  char tmp[] = "/tmp/triage_target.XXXXXX";
  check(mkostemp(tmp, O_CLOEXEC), "mkostemp");
  unlink(tmp);
  check(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open /");
  check(memfd_create("triage_target", MFD_CLOEXEC), "memfd_create");
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) die("pipe");
  check(eventfd(0, EFD_CLOEXEC), "eventfd");
  check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  check(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), "timerfd_create");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  check(signalfd(-1, &set, SFD_CLOEXEC), "signalfd");
}

int main(int argc, char** argv) {
  int workers = argc > 1 ? atoi(argv[1]) : 6;
  if (workers < 0 || workers > 256) workers = 6;
  open_files();
  open_sockets();
  pthread_barrier_init(&g_started, NULL, (unsigned)workers + 1);
  for (int i = 0; i < workers; ++i) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) die("pthread_create");
  }
  pthread_barrier_wait(&g_started);
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  for (;;) pause();
}
