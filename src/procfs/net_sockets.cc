// /proc/PID/net socket-table parsing; see net_sockets.h.
#include "procfs/net_sockets.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstring>

#include "base/file_util.h"
#include "base/strings.h"

namespace leakscope::procfs {
namespace {

bool parse_hex(std::string_view s, size_t max_digits, uint64_t* out) {
  if (s.empty() || s.size() > max_digits) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return false;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// Splits on runs of spaces; at most `max` words, the last one keeps the rest of the line.
std::vector<std::string_view> words(std::string_view line, size_t max) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size() && out.size() < max) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i == line.size()) break;
    size_t b = i;
    if (out.size() + 1 == max) {
      out.push_back(trim(line.substr(b)));
      break;
    }
    while (i < line.size() && line[i] != ' ') ++i;
    out.push_back(line.substr(b, i - b));
  }
  return out;
}

// The kernel prints each 32-bit word of the address as a host-order integer (%08X of the
// in-memory network-order value), so the words are copied back into memory as they are.
bool format_inet_address(std::string_view text, bool v6, std::string* out) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view addr = text.substr(0, colon);
  uint64_t port = 0;
  if (!parse_hex(text.substr(colon + 1), 4, &port)) return false;
  size_t n_words = v6 ? 4 : 1;
  if (addr.size() != n_words * 8) return false;
  unsigned char bytes[16];
  for (size_t w = 0; w < n_words; ++w) {
    uint64_t v = 0;
    if (!parse_hex(addr.substr(w * 8, 8), 8, &v)) return false;
    uint32_t word = static_cast<uint32_t>(v);
    std::memcpy(bytes + w * 4, &word, 4);
  }
  char buf[INET6_ADDRSTRLEN];
  if (::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof(buf)) == nullptr) return false;
  *out = v6 ? "[" + std::string(buf) + "]" : std::string(buf);
  *out += ":" + std::to_string(port);
  return true;
}

template <typename Fn>
Status for_each_entry_line(std::string_view text, std::string_view header_start,
                           const char* table, Fn&& fn) {
  size_t eol = text.find('\n');
  std::string_view header = trim(text.substr(0, eol));
  if (!starts_with(header, header_start))
    return Status(StatusCode::kCorrupt, std::string("malformed ") + table, "no header line");
  if (eol == std::string_view::npos) return Status::ok();
  size_t pos = eol + 1;
  while (pos < text.size()) {
    eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!trim(line).empty()) fn(line);
  }
  return Status::ok();
}

}  // namespace

const char* socket_protocol_name(SocketProtocol protocol) {
  switch (protocol) {
    case SocketProtocol::kTcp: return "tcp";
    case SocketProtocol::kTcp6: return "tcp6";
    case SocketProtocol::kUdp: return "udp";
    case SocketProtocol::kUdp6: return "udp6";
    case SocketProtocol::kUnix: return "unix";
  }
  return "?";
}

const char* tcp_state_name(int state) {
  static const char* const kNames[] = {
      "UNKNOWN",   "ESTABLISHED", "SYN_SENT",   "SYN_RECV",     "FIN_WAIT1",
      "FIN_WAIT2", "TIME_WAIT",   "CLOSE",      "CLOSE_WAIT",   "LAST_ACK",
      "LISTEN",    "CLOSING",     "NEW_SYN_RECV", "BOUND_INACTIVE"};
  if (state < 0 || state >= static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) return "UNKNOWN";
  return kNames[state];
}

std::string socket_state_name(const SocketInfo& s) {
  switch (s.protocol) {
    case SocketProtocol::kTcp:
    case SocketProtocol::kTcp6:
      return tcp_state_name(s.state);
    case SocketProtocol::kUdp:
    case SocketProtocol::kUdp6:
      return s.state == 1 ? "CONNECTED" : "UNCONNECTED";  // TCP_ESTABLISHED after connect()
    case SocketProtocol::kUnix:
      if (s.listening) return "LISTEN";
      return s.state == 3 ? "CONNECTED" : "UNCONNECTED";  // SS_CONNECTED
  }
  return "UNKNOWN";
}

Status parse_net_inet(std::string_view text, SocketProtocol protocol, std::vector<SocketInfo>* out) {
  bool v6 = protocol == SocketProtocol::kTcp6 || protocol == SocketProtocol::kUdp6;
  const char* table = socket_protocol_name(protocol);
  return for_each_entry_line(text, "sl", table, [&](std::string_view line) {
    // sl local remote st tx:rx tr:when retrnsmt uid timeout inode ...
    auto w = words(line, 11);
    if (w.size() < 10 || w[0].empty() || w[0].back() != ':') return;
    SocketInfo s;
    s.protocol = protocol;
    uint64_t st = 0, uid = 0;
    if (!format_inet_address(w[1], v6, &s.local) || !format_inet_address(w[2], v6, &s.remote) ||
        !parse_hex(w[3], 2, &st) || !parse_u64(w[7], &uid) || !parse_u64(w[9], &s.inode))
      return;
    size_t colon = w[4].find(':');
    if (colon != std::string_view::npos) {
      (void)parse_hex(w[4].substr(0, colon), 16, &s.tx_queue);
      (void)parse_hex(w[4].substr(colon + 1), 16, &s.rx_queue);
    }
    s.state = static_cast<int>(st);
    s.uid = static_cast<uint32_t>(uid);
    s.listening = (protocol == SocketProtocol::kTcp || protocol == SocketProtocol::kTcp6) &&
                  s.state == 10;
    out->push_back(std::move(s));
  });
}

Status parse_net_unix(std::string_view text, std::vector<SocketInfo>* out) {
  return for_each_entry_line(text, "Num", "unix", [&](std::string_view line) {
    // Num: RefCount Protocol Flags Type St Inode [Path]; the path may contain spaces.
    auto w = words(line, 8);
    if (w.size() < 7 || w[0].empty() || w[0].back() != ':') return;
    uint64_t flags = 0, type = 0, st = 0;
    SocketInfo s;
    s.protocol = SocketProtocol::kUnix;
    if (!parse_hex(w[3], 8, &flags) || !parse_hex(w[4], 4, &type) || !parse_hex(w[5], 2, &st) ||
        !parse_u64(w[6], &s.inode))
      return;
    s.unix_type = static_cast<int>(type);
    s.state = static_cast<int>(st);
    s.listening = (flags & 0x10000) != 0;  // __SO_ACCEPTCON
    if (w.size() == 8) s.local = std::string(w[7]);
    out->push_back(std::move(s));
  });
}

Status read_sockets(pid_t pid, std::vector<SocketInfo>* out) {
  std::string dir = "/proc/" + std::to_string(pid) + "/net/";
  struct Table {
    const char* name;
    SocketProtocol protocol;
  };
  static constexpr Table kTables[] = {{"tcp", SocketProtocol::kTcp},
                                      {"tcp6", SocketProtocol::kTcp6},
                                      {"udp", SocketProtocol::kUdp},
                                      {"udp6", SocketProtocol::kUdp6},
                                      {"unix", SocketProtocol::kUnix}};
  std::string text;
  for (const Table& t : kTables) {
    Status s = read_file(dir + t.name, &text);
    if (!s.is_ok()) {
      if (s.code() == StatusCode::kNotFound && ::access(dir.c_str(), F_OK) == 0) continue;
      return s;
    }
    s = t.protocol == SocketProtocol::kUnix ? parse_net_unix(text, out)
                                            : parse_net_inet(text, t.protocol, out);
    RETURN_IF_ERROR(s.with_context(dir + t.name));
  }
  return Status::ok();
}

}  // namespace leakscope::procfs
