// Fuzz target: the collector's decoder of the preload library's wire stream, feeding a real
// aggregator. Messages come from target processes, which may be buggy or hostile, so no byte
// sequence may crash, hang or corrupt the collector; a bad connection is only closed.
//
// Input: a sequence of messages, each [connection: 1 byte][length: 2 bytes LE][bytes].
// Connections 0..3 are opened on first use as processes 1000..1003.
#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "collect/heap_aggregator.h"
#include "collect/heap_wire_decoder.h"

using leakscope::collect::HeapAggregator;
using leakscope::collect::HeapWireRouter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  HeapAggregator aggregator;
  HeapWireRouter router(&aggregator);
  std::set<int> open, closed;
  size_t off = 0;
  int64_t t_ms = 0;
  while (off + 3 <= size) {
    int conn = data[off] & 3;
    size_t len = data[off + 1] | (size_t{data[off + 2]} << 8);
    off += 3;
    if (len > size - off) len = size - off;
    const uint8_t* msg = data + off;
    off += len;
    if (closed.count(conn)) continue;
    if (open.insert(conn).second) router.open(conn, 1000 + conn, static_cast<uint64_t>(conn));
    // A buffer of exactly the message's size, so that reading past its end is caught.
    std::vector<uint8_t> buf(msg, msg + len);
    auto r = router.feed(conn, buf.data(), len);
    if (r.result == HeapWireRouter::Result::kNeedParent) r = router.feed(conn, buf.data(), len, true);
    if (r.result == HeapWireRouter::Result::kClose) {
      router.close(conn);
      closed.insert(conn);
    }
    (void)aggregator.snapshot(t_ms += 1000);
  }
  for (int conn : open)
    if (!closed.count(conn)) router.close(conn);
  for (const auto& d : router.disconnected_images()) router.close_image(d.image);
  (void)aggregator.finish(t_ms + 1000);
  return 0;
}
