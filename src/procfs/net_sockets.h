// Socket tables from /proc/PID/net/{tcp,tcp6,udp,udp6,unix} (formats in proc(5)). An fd
// shows only "socket:[inode]"; joining the inode with these tables says what the socket
// is: protocol, TCP state, addresses. The tables list every socket of the process's
// network namespace, so only the inodes the process holds mean anything for it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace leakscope::procfs {

enum class SocketProtocol { kTcp, kTcp6, kUdp, kUdp6, kUnix };
const char* socket_protocol_name(SocketProtocol protocol);

struct SocketInfo {
  SocketProtocol protocol = SocketProtocol::kTcp;
  uint64_t inode = 0;  // 0 for sockets no process owns any more (TIME_WAIT, orphans)
  int state = 0;       // the "st" column: TCP_ESTABLISHED=1 ... for inet, SS_* for unix
  std::string local;   // "127.0.0.1:8080", "[::1]:443"; for unix the path ("" if unnamed)
  std::string remote;  // inet only
  uint32_t uid = 0;    // inet only
  uint64_t tx_queue = 0, rx_queue = 0;  // inet only: bytes queued
  int unix_type = 0;   // unix only: 1 stream, 2 dgram, 5 seqpacket
  bool listening = false;
};

// "ESTABLISHED", "CLOSE_WAIT", "LISTEN", ... (the kernel's tcp_states.h names);
// "UNKNOWN" for anything else.
const char* tcp_state_name(int state);
// The state as a person reads it for this protocol: TCP names for tcp, "UNCONNECTED" /
// "CONNECTED" for udp, "LISTEN" / "CONNECTED" / "UNCONNECTED" for unix.
std::string socket_state_name(const SocketInfo& s);

// Parse the text of one table. Malformed entry lines are skipped (the tables gain columns
// over kernel versions); a missing header is kCorrupt.
Status parse_net_inet(std::string_view text, SocketProtocol protocol, std::vector<SocketInfo>* out);
Status parse_net_unix(std::string_view text, std::vector<SocketInfo>* out);

// Reads all five tables of the process's network namespace, appending to *out. A table
// the kernel does not have (no IPv6) is skipped; kNotFound if the process is gone.
Status read_sockets(pid_t pid, std::vector<SocketInfo>* out);

}  // namespace leakscope::procfs
