// Decodes the preload library's wire stream (src/format/heap_wire.h) into HeapEventSink
// calls. One router serves every connection of a recording: it validates each connection's
// Hello (magic, version: a newer version is refused and the refusal recorded), maps image
// nonces to image ids so that a reconnect continues its image and a fork child finds its
// parent, and says when a fork child's Hello must wait for its parent's fork marker (which
// sits in the parent's connection, possibly not read yet).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "collect/heap_events.h"
#include "format/heap_wire.h"

namespace leakscope::collect {

class HeapWireRouter {
 public:
  using ConnId = int;
  enum class Result {
    kOk,
    kNeedParent,  // a fork child's Hello arrived before its parent's fork marker: read the
                  // parent connection (needed_conn) first, then feed this message again
    kClose,       // protocol error or refused version: close the connection
  };
  struct FeedResult {
    Result result = Result::kOk;
    ConnId needed_conn = -1;
    std::string error;  // for kClose
  };

  explicit HeapWireRouter(HeapEventSink* sink) : sink_(sink) {}

  // A new connection from process `peer_pid` (SO_PEERCRED) with that start time.
  void open(ConnId conn, pid_t peer_pid, uint64_t peer_start_ticks);
  // One whole message (a SOCK_SEQPACKET datagram). With `force`, a fork child whose parent
  // marker never came starts without the parent's state.
  FeedResult feed(ConnId conn, const uint8_t* msg, size_t len, bool force = false);
  // The connection reached EOF. Returns true when its image is closed now (it announced
  // its end); false when it may still reconnect or exec (see disconnected_images).
  bool close(ConnId conn);

  struct Disconnected {
    HeapImageId image;
    pid_t pid;
    uint64_t start_ticks;
  };
  // Images whose connection closed without an end marker: the caller closes them
  // (close_image) once their process is gone.
  std::vector<Disconnected> disconnected_images() const;
  void close_image(HeapImageId image);
  // Every image not closed yet (end of the recording).
  std::vector<HeapImageId> open_images() const;

 private:
  struct Conn {
    HeapImageId image = 0;
    pid_t peer_pid = 0;
    uint64_t peer_start_ticks = 0;
    bool refused = false;
  };
  struct Image {
    pid_t pid = 0;
    uint64_t start_ticks = 0;
    uint64_t nonce = 0;
    int connections = 0;
    uint64_t last_fork_id = 0;
    bool end_announced = false;
    bool closed = false;
  };

  FeedResult hello(ConnId conn, Conn& c, const uint8_t* msg, size_t len, bool force);
  FeedResult events(HeapImageId image, const uint8_t* msg, size_t len);
  FeedResult modules(HeapImageId image, const uint8_t* msg, size_t len);
  // kStacks, or kStack (`single`: exactly one definition).
  FeedResult stacks(HeapImageId image, const uint8_t* msg, size_t len, bool single);
  HeapImageId new_image(pid_t pid, uint64_t start_ticks, uint64_t nonce);

  HeapEventSink* sink_;
  std::unordered_map<ConnId, Conn> conns_;
  std::unordered_map<HeapImageId, Image> images_;
  std::unordered_map<uint64_t, HeapImageId> by_nonce_;
  std::unordered_map<HeapImageId, ConnId> conn_of_image_;  // latest connection
  std::unordered_map<uint64_t, HeapImageId> latest_of_process_;  // (pid, start) hash -> image
  HeapImageId next_image_ = 1;
};

}  // namespace leakscope::collect
