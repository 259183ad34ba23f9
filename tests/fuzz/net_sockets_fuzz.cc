// Fuzz target for the socket-table parsers and fd link classification: the same bytes
// are parsed as an inet table (v4 and v6), as a unix table, and line by line as readlink
// targets. Invariants checked: no crash, every parsed socket has a state name and a
// protocol name, and classification is total (a name for every input).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "procfs/fd_info.h"
#include "procfs/net_sockets.h"

using namespace leakscope::procfs;

namespace {

void check(const std::vector<SocketInfo>& v) {
  for (const auto& s : v) {
    if (socket_state_name(s).empty() || socket_protocol_name(s.protocol)[0] == '?') std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (SocketProtocol p : {SocketProtocol::kTcp, SocketProtocol::kTcp6, SocketProtocol::kUdp6}) {
    std::vector<SocketInfo> v;
    if (parse_net_inet(text, p, &v).is_ok()) check(v);
    else if (!v.empty()) std::abort();  // a failed parse adds nothing
  }
  std::vector<SocketInfo> u;
  if (parse_net_unix(text, &u).is_ok()) check(u);
  else if (!u.empty()) std::abort();
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    FdLink link = classify_fd_link(text.substr(pos, eol - pos));
    if (fd_type_name(link.type)[0] == '\0') std::abort();
    if (link.inode != 0 && link.type != FdType::kSocket && link.type != FdType::kPipe) std::abort();
    pos = eol + 1;
  }
  return 0;
}
