// Socket tables: recorded tables of this kernel (tests/fixtures/proc/net, taken while
// tests/programs/triage_target ran), hand-made edge cases, and this process's own sockets.
#include "procfs/net_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/scoped_fd.h"

namespace leakscope::procfs {
namespace {

std::string fixture(const std::string& name) {
  std::string text;
  EXPECT_TRUE(read_file(std::string(LEAKSCOPE_FIXTURES_DIR) + "/proc/net/" + name, &text).is_ok()) << name;
  return text;
}

std::map<uint64_t, SocketInfo> by_inode(const std::vector<SocketInfo>& v) {
  std::map<uint64_t, SocketInfo> out;
  for (const auto& s : v) out[s.inode] = s;
  return out;
}

TEST(NetSocketsTest, RecordedTcp) {
  std::vector<SocketInfo> v;
  ASSERT_TRUE(parse_net_inet(fixture("tcp"), SocketProtocol::kTcp, &v).is_ok());
  ASSERT_EQ(v.size(), 5u);
  auto m = by_inode(v);
  EXPECT_EQ(m[1060].local, "0.0.0.0:2024");
  EXPECT_TRUE(m[1060].listening);
  EXPECT_EQ(m[32557].local, "127.0.0.1:58585");
  EXPECT_EQ(socket_state_name(m[32557]), "LISTEN");
  EXPECT_EQ(socket_state_name(m[32558]), "ESTABLISHED");
  EXPECT_EQ(m[32558].remote, "127.0.0.1:58585");
  EXPECT_EQ(tcp_state_name(m[32561].state), std::string("CLOSE_WAIT"));
  EXPECT_EQ(m[32561].local, "127.0.0.1:58585");
  EXPECT_EQ(m[32561].remote, "127.0.0.1:34372");
  EXPECT_FALSE(m[32561].listening);
}

TEST(NetSocketsTest, RecordedUdpAndEmptyTcp6) {
  std::vector<SocketInfo> v;
  ASSERT_TRUE(parse_net_inet(fixture("udp"), SocketProtocol::kUdp, &v).is_ok());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].inode, 32562u);
  EXPECT_EQ(v[0].local, "127.0.0.1:39355");
  EXPECT_EQ(socket_state_name(v[0]), "UNCONNECTED");
  v.clear();
  ASSERT_TRUE(parse_net_inet(fixture("tcp6"), SocketProtocol::kTcp6, &v).is_ok());
  EXPECT_TRUE(v.empty());
}

TEST(NetSocketsTest, RecordedTcp6AndUdp6) {
  std::vector<SocketInfo> v;
  ASSERT_TRUE(parse_net_inet(fixture("tcp6_loopback"), SocketProtocol::kTcp6, &v).is_ok());
  ASSERT_EQ(v.size(), 5u);
  auto m = by_inode(v);
  EXPECT_EQ(m[47922].local, "[::]:34271");
  EXPECT_EQ(socket_state_name(m[47922]), "LISTEN");
  EXPECT_EQ(m[47920].local, "[::1]:54480");
  EXPECT_EQ(m[47920].remote, "[::1]:49463");
  EXPECT_EQ(socket_state_name(m[47920]), "ESTABLISHED");
  EXPECT_EQ(socket_state_name(m[0]), "TIME_WAIT");  // owned by no one: inode 0
  v.clear();
  ASSERT_TRUE(parse_net_inet(fixture("udp6_bound"), SocketProtocol::kUdp6, &v).is_ok());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].local.substr(0, 5), "[::]:");
}

TEST(NetSocketsTest, RecordedUnix) {
  std::vector<SocketInfo> v;
  ASSERT_TRUE(parse_net_unix(fixture("unix_named"), &v).is_ok());
  ASSERT_EQ(v.size(), 7u);
  auto m = by_inode(v);
  EXPECT_EQ(m[47925].local, "/tmp/my sock");  // paths may contain spaces
  EXPECT_EQ(socket_state_name(m[47925]), "LISTEN");
  EXPECT_EQ(m[47926].local, "@abstract");
  EXPECT_EQ(m[47927].unix_type, 2);
  EXPECT_EQ(socket_state_name(m[47927]), "UNCONNECTED");
  EXPECT_EQ(socket_state_name(m[1056]), "CONNECTED");  // right-aligned inode column
  EXPECT_EQ(m[1056].local, "");
}

TEST(NetSocketsTest, EdgeCases) {
  std::vector<SocketInfo> v;
  ASSERT_TRUE(parse_net_inet(fixture("tcp_edge_cases"), SocketProtocol::kTcp, &v).is_ok());
  // Lines 4 (bad hex), 5 (too few columns), 6 (no "sl:"), 7 (5-digit port) are skipped.
  ASSERT_EQ(v.size(), 5u);
  auto m = by_inode(v);
  EXPECT_EQ(socket_state_name(m[112]), "CLOSE_WAIT");
  EXPECT_EQ(m[112].tx_queue, 10u);
  EXPECT_EQ(m[112].rx_queue, 20u);
  EXPECT_EQ(m[112].uid, 1000u);
  EXPECT_EQ(socket_state_name(m[113]), "BOUND_INACTIVE");
  EXPECT_EQ(m[117].local, "10.0.0.1:22");
  EXPECT_EQ(m[117].remote, "192.168.1.2:57840");
  EXPECT_EQ(m.count(114), 0u);
  EXPECT_EQ(m.count(116), 0u);

  v.clear();
  ASSERT_TRUE(parse_net_unix(fixture("unix_edge_cases"), &v).is_ok());
  ASSERT_EQ(v.size(), 3u);
  m = by_inode(v);
  EXPECT_EQ(m[201].local, "/run/app/control socket");
  EXPECT_TRUE(m[201].listening);
  EXPECT_EQ(m[203].unix_type, 5);
  EXPECT_EQ(m[203].local, "@/tmp/.X11-unix/X0");

  v.clear();
  EXPECT_TRUE(parse_net_inet(fixture("tcp_header_only"), SocketProtocol::kTcp, &v).is_ok());
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(parse_net_inet(fixture("tcp_no_header"), SocketProtocol::kTcp, &v).code(), StatusCode::kCorrupt);
  EXPECT_EQ(parse_net_inet("", SocketProtocol::kTcp, &v).code(), StatusCode::kCorrupt);
  EXPECT_EQ(parse_net_unix("sl  local_address\n", &v).code(), StatusCode::kCorrupt);
}

TEST(NetSocketsTest, StateNames) {
  EXPECT_STREQ(tcp_state_name(1), "ESTABLISHED");
  EXPECT_STREQ(tcp_state_name(6), "TIME_WAIT");
  EXPECT_STREQ(tcp_state_name(8), "CLOSE_WAIT");
  EXPECT_STREQ(tcp_state_name(10), "LISTEN");
  EXPECT_STREQ(tcp_state_name(0), "UNKNOWN");
  EXPECT_STREQ(tcp_state_name(14), "UNKNOWN");
  EXPECT_STREQ(tcp_state_name(-3), "UNKNOWN");
}

// Sockets of this process, found in the live tables by the inode fstat() reports.
TEST(NetSocketsTest, OwnSocketsInLiveTables) {
  ScopedFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener.get(), 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ScopedFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  ScopedFd a(pair[0]), b(pair[1]);

  std::vector<SocketInfo> v;
  ASSERT_TRUE(read_sockets(getpid(), &v).is_ok());
  auto m = by_inode(v);
  auto inode = [](int fd) {
    struct stat st;
    EXPECT_EQ(fstat(fd, &st), 0);
    return static_cast<uint64_t>(st.st_ino);
  };
  std::string port = std::to_string(ntohs(addr.sin_port));
  ASSERT_TRUE(m.count(inode(listener.get())));
  EXPECT_EQ(socket_state_name(m[inode(listener.get())]), "LISTEN");
  EXPECT_EQ(m[inode(listener.get())].local, "127.0.0.1:" + port);
  ASSERT_TRUE(m.count(inode(client.get())));
  EXPECT_EQ(m[inode(client.get())].remote, "127.0.0.1:" + port);
  EXPECT_EQ(socket_state_name(m[inode(client.get())]), "ESTABLISHED");
  ASSERT_TRUE(m.count(inode(a.get())));
  EXPECT_EQ(m[inode(a.get())].protocol, SocketProtocol::kUnix);
  EXPECT_EQ(socket_state_name(m[inode(a.get())]), "CONNECTED");
}

TEST(NetSocketsTest, MissingProcessIsNotFound) {
  std::vector<SocketInfo> v;
  EXPECT_EQ(read_sockets(4194304 + 7, &v).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace leakscope::procfs
