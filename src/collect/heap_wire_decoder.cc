// Wire stream decoding; see heap_wire_decoder.h.
#include "collect/heap_wire_decoder.h"

#include <cstring>

namespace leakscope::collect {
namespace {

using format::MsgHeader;
using format::MsgType;

template <typename T>
bool read_struct(const uint8_t* msg, size_t len, T* out) {
  if (len < sizeof(T)) return false;
  std::memcpy(out, msg, sizeof(T));
  return true;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[p[i] >> 4]);
    s.push_back(kDigits[p[i] & 15]);
  }
  return s;
}

HeapEndReason end_reason(uint32_t kind) {
  switch (static_cast<format::ExitKind>(kind)) {
    case format::ExitKind::kExit: return HeapEndReason::kExit;
    case format::ExitKind::kUnderscoreExit: return HeapEndReason::kUnderscoreExit;
    case format::ExitKind::kAbort: return HeapEndReason::kAbort;
    case format::ExitKind::kAssert: return HeapEndReason::kAssert;
    case format::ExitKind::kExec: return HeapEndReason::kExec;
  }
  return HeapEndReason::kUnknown;
}

}  // namespace

void HeapWireRouter::open(ConnId conn, pid_t peer_pid, uint64_t peer_start_ticks) {
  Conn c;
  c.peer_pid = peer_pid;
  c.peer_start_ticks = peer_start_ticks;
  conns_[conn] = c;
}

HeapImageId HeapWireRouter::new_image(pid_t pid, uint64_t start_ticks, uint64_t nonce) {
  HeapImageId id = next_image_++;
  Image im;
  im.pid = pid;
  im.start_ticks = start_ticks;
  im.nonce = nonce;
  images_[id] = im;
  if (nonce != 0) by_nonce_[nonce] = id;
  return id;
}

HeapWireRouter::FeedResult HeapWireRouter::feed(ConnId conn, const uint8_t* msg, size_t len,
                                                bool force) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return {Result::kClose, -1, "unknown connection"};
  Conn& c = it->second;
  MsgHeader h;
  if (!read_struct(msg, len, &h) || h.bytes != len)
    return {Result::kClose, -1, "truncated message"};
  if (c.image == 0) {
    if (static_cast<MsgType>(h.type) != MsgType::kHello)
      return {Result::kClose, -1, "first message is not a hello"};
    return hello(conn, c, msg, len, force);
  }
  if (c.refused) return {};
  HeapImageId image = c.image;
  switch (static_cast<MsgType>(h.type)) {
    case MsgType::kEvents:
      return events(image, msg, len);
    case MsgType::kStack:  // a StackDef is a header and one StackEntry with its pcs
    case MsgType::kStacks:
      return stacks(image, msg, len, static_cast<MsgType>(h.type) == MsgType::kStack);
    case MsgType::kFork: {
      format::ForkMarker m;
      if (!read_struct(msg, len, &m)) return {Result::kClose, -1, "bad fork marker"};
      sink_->fork_point(image, m.fork_id);
      Image& im = images_[image];
      if (m.fork_id > im.last_fork_id) im.last_fork_id = m.fork_id;
      return {};
    }
    case MsgType::kExit: {
      format::ExitMarker m;
      if (!read_struct(msg, len, &m)) return {Result::kClose, -1, "bad exit marker"};
      images_[image].end_announced = true;
      sink_->image_ending(image, end_reason(m.kind));
      return {};
    }
    case MsgType::kWatermark: {
      format::Watermark w;
      if (!read_struct(msg, len, &w)) return {Result::kClose, -1, "bad watermark"};
      sink_->watermark(image, w.ts);
      return {};
    }
    case MsgType::kModules:
      return modules(image, msg, len);
    case MsgType::kStatus: {
      format::StatusMsg s;
      if (!read_struct(msg, len, &s) || len != sizeof(s) + s.text_len)
        return {Result::kClose, -1, "bad status message"};
      std::string_view text(reinterpret_cast<const char*>(msg + sizeof(s)), s.text_len);
      HeapImageStatus st = s.status == static_cast<uint32_t>(format::HeapStatus::kOwnMalloc)
                               ? HeapImageStatus::kOwnMalloc
                           : s.status == static_cast<uint32_t>(format::HeapStatus::kOff)
                               ? HeapImageStatus::kOff
                               : HeapImageStatus::kTracking;
      sink_->status_changed(image, st, text);
      return {};
    }
    case MsgType::kStats: {
      format::StatsMsg s;
      if (!read_struct(msg, len, &s)) return {Result::kClose, -1, "bad stats message"};
      HeapSourceStats st;
      st.cfi_stacks = s.cfi_stacks;
      st.dwarf_stacks = s.dwarf_stacks;
      st.cached_stacks = s.cached_stacks;
      st.truncated_stacks = s.truncated_stacks;
      st.tail_reuses = s.tail_reuses;
      st.lost_events = s.lost_events;
      st.sample_set_full = s.sample_set_full;
      sink_->source_stats(image, st);
      return {};
    }
    case MsgType::kHello:
      return {Result::kClose, -1, "second hello on a connection"};
    case MsgType::kRecordingEnded:
      return {Result::kClose, -1, "a collector's message from a preload"};
  }
  return {Result::kClose, -1, "unknown message type " + std::to_string(h.type)};
}

HeapWireRouter::FeedResult HeapWireRouter::hello(ConnId conn, Conn& c, const uint8_t* msg,
                                                 size_t len, bool force) {
  // magic and version sit at the same place in every version: read them first.
  if (len < sizeof(MsgHeader) + 8) return {Result::kClose, -1, "truncated hello"};
  uint32_t magic, version;
  std::memcpy(&magic, msg + sizeof(MsgHeader), 4);
  std::memcpy(&version, msg + sizeof(MsgHeader) + 4, 4);
  if (magic != format::kHeapWireMagic) return {Result::kClose, -1, "not a leakscope heap stream"};
  if (version != format::kHeapWireVersion) {
    // A newer preload library than this collector (or an older one): record why nothing
    // is known about this process instead of guessing at the layout.
    c.refused = true;
    c.image = new_image(c.peer_pid, c.peer_start_ticks, 0);
    HeapImageInfo info;
    info.pid = c.peer_pid;
    info.start_ticks = c.peer_start_ticks;
    sink_->image_started(c.image, info);
    sink_->status_changed(c.image, HeapImageStatus::kRefused,
                          "heap wire version " + std::to_string(version) +
                              " is not the collector's version " +
                              std::to_string(format::kHeapWireVersion) +
                              "; use the leakscope that matches its preload library");
    images_[c.image].connections = 1;
    conn_of_image_[c.image] = conn;
    return {};
  }
  format::Hello h;
  if (!read_struct(msg, len, &h) || len != sizeof(h) + h.exe_len)
    return {Result::kClose, -1, "bad hello"};
  if (h.flags & format::kHelloReconnect) {
    auto known = by_nonce_.find(h.image_nonce);
    if (known != by_nonce_.end() && !images_[known->second].closed) {
      c.image = known->second;
      images_[c.image].connections += 1;
      conn_of_image_[c.image] = conn;
      return {};
    }
  }
  HeapImageInfo info;
  info.pid = h.pid;
  info.ppid = h.ppid;
  info.start_ticks = h.start_ticks;
  info.exe.assign(reinterpret_cast<const char*>(msg + sizeof(h)), h.exe_len);
  info.sample_interval = h.sample_interval;
  info.clock_is_tsc = h.clock == static_cast<uint32_t>(format::ClockKind::kTsc);
  if (h.flags & format::kHelloForkChild) {
    auto parent = by_nonce_.find(h.parent_nonce);
    if (parent != by_nonce_.end()) {
      Image& pim = images_[parent->second];
      if (pim.last_fork_id < h.fork_id && !force) {
        auto pc = conn_of_image_.find(parent->second);
        if (pc != conn_of_image_.end() && conns_.count(pc->second))
          return {Result::kNeedParent, pc->second, {}};
      }
      if (pim.last_fork_id >= h.fork_id) {
        info.fork_parent = parent->second;
        info.fork_id = h.fork_id;
      }
    }
  }
  // A new image of a process we know whose connection is gone (exec without a marker, or
  // a marker read later): the old image is over.
  uint64_t process_key = h.start_ticks * 4194319ULL + static_cast<uint32_t>(h.pid);
  auto prev = latest_of_process_.find(process_key);
  if (prev != latest_of_process_.end()) {
    Image& old = images_[prev->second];
    if (!old.closed && old.pid == h.pid && old.start_ticks == h.start_ticks && old.connections == 0)
      close_image(prev->second);
  }
  c.image = new_image(h.pid, h.start_ticks, h.image_nonce);
  latest_of_process_[process_key] = c.image;
  images_[c.image].connections = 1;
  conn_of_image_[c.image] = conn;
  sink_->image_started(c.image, info);
  if (h.status == static_cast<uint32_t>(format::HeapStatus::kOwnMalloc))
    sink_->status_changed(c.image, HeapImageStatus::kOwnMalloc, "program defines its own malloc");
  return {};
}

HeapWireRouter::FeedResult HeapWireRouter::events(HeapImageId image, const uint8_t* msg,
                                                  size_t len) {
  MsgHeader h;
  std::memcpy(&h, msg, sizeof(h));
  size_t words = (len - sizeof(h)) / 8;
  if ((len - sizeof(h)) % 8 != 0) return {Result::kClose, -1, "ragged event message"};
  // Words are read with memcpy: the datagram buffer need not be 8-byte aligned.
  auto word = [&](size_t i) {
    uint64_t v;
    std::memcpy(&v, msg + sizeof(h) + i * 8, 8);
    return v;
  };
  using format::RecordKind;
  // Allocs and frees go to the sink in batches (order kept); anything else flushes them.
  HeapEvent batch[256];
  size_t batched = 0;
  auto flush = [&] {
    if (batched) sink_->events(image, batch, batched);
    batched = 0;
  };
  size_t i = 0;
  while (i < words) {
    uint64_t w0 = word(i);
    RecordKind kind = format::record_kind(w0);
    int n = format::record_words(kind);
    if (n == 0 || i + static_cast<size_t>(n) > words)
      return {Result::kClose, -1, "bad event record"};
    uint64_t tw = word(i + static_cast<size_t>(n) - 1);
    uint64_t ts = h.base_ts + static_cast<uint64_t>(static_cast<int64_t>(format::ts_word_delta(tw)));
    uint64_t ptr = format::record_ptr(w0);
    switch (kind) {
      case RecordKind::kAlloc:
        batch[batched++] = {true, format::ts_word_stack(tw), ptr, word(i + 1), ts};
        break;
      case RecordKind::kFree:
        batch[batched++] = {false, 0, ptr, 0, ts};
        break;
      case RecordKind::kMmap:
        flush();
        sink_->mmap(image, ptr, word(i + 1), format::ts_word_stack(tw), ts);
        break;
      case RecordKind::kMunmap:
        flush();
        sink_->munmap(image, ptr, word(i + 1), ts);
        break;
      case RecordKind::kMremap:
        flush();
        sink_->munmap(image, word(i + 2), word(i + 3), ts);
        sink_->mmap(image, ptr, word(i + 1), format::ts_word_stack(tw), ts);
        break;
    }
    if (batched == sizeof(batch) / sizeof(batch[0])) flush();
    i += static_cast<size_t>(n);
  }
  flush();
  return {};
}

HeapWireRouter::FeedResult HeapWireRouter::stacks(HeapImageId image, const uint8_t* msg,
                                                  size_t len, bool single) {
  static_assert(sizeof(format::StackDef) == sizeof(MsgHeader) + sizeof(format::StackEntry));
  size_t off = sizeof(MsgHeader);
  uint64_t pcs[format::kMaxStackDepth];
  for (int n = 0; off < len; ++n) {
    format::StackEntry e;
    if (single && n == 1) return {Result::kClose, -1, "bad stack message"};
    if (len - off < sizeof(e)) return {Result::kClose, -1, "truncated stack batch"};
    std::memcpy(&e, msg + off, sizeof(e));
    off += sizeof(e);
    if (e.depth > format::kMaxStackDepth || len - off < size_t{e.depth} * 8)
      return {Result::kClose, -1, "bad stack in batch"};
    std::memcpy(pcs, msg + off, size_t{e.depth} * 8);
    off += size_t{e.depth} * 8;
    sink_->stack_interned(image, e.id, pcs, e.depth);
  }
  if (single && off == sizeof(MsgHeader)) return {Result::kClose, -1, "bad stack message"};
  return {};
}

HeapWireRouter::FeedResult HeapWireRouter::modules(HeapImageId image, const uint8_t* msg,
                                                   size_t len) {
  format::ModulesHeader mh;
  if (!read_struct(msg, len, &mh)) return {Result::kClose, -1, "bad modules message"};
  size_t off = sizeof(mh);
  for (uint32_t k = 0; k < mh.count; ++k) {
    format::ModuleEntry e;
    if (off + sizeof(e) > len) return {Result::kClose, -1, "truncated modules message"};
    std::memcpy(&e, msg + off, sizeof(e));
    size_t need = format::align8(sizeof(e) + e.path_len + e.build_id_len);
    if (off + need > len) return {Result::kClose, -1, "truncated module entry"};
    HeapModuleInfo m;
    m.start = e.start;
    m.end = e.end;
    m.file_offset = e.file_offset;
    m.path.assign(reinterpret_cast<const char*>(msg + off + sizeof(e)), e.path_len);
    m.build_id = hex(msg + off + sizeof(e) + e.path_len, e.build_id_len);
    sink_->module_loaded(image, m);
    off += need;
  }
  return {};
}

bool HeapWireRouter::close(ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return false;
  HeapImageId image = it->second.image;
  conns_.erase(it);
  if (image == 0) return false;
  Image& im = images_[image];
  im.connections -= 1;
  if (conn_of_image_.count(image) && conn_of_image_[image] == conn) conn_of_image_.erase(image);
  if (im.connections > 0 || im.closed) return im.closed;
  if (im.end_announced) {
    close_image(image);
    return true;
  }
  return false;
}

std::vector<HeapWireRouter::Disconnected> HeapWireRouter::disconnected_images() const {
  std::vector<Disconnected> out;
  for (const auto& [id, im] : images_)
    if (!im.closed && im.connections == 0) out.push_back({id, im.pid, im.start_ticks});
  return out;
}

void HeapWireRouter::close_image(HeapImageId image) {
  Image& im = images_[image];
  if (im.closed) return;
  im.closed = true;
  sink_->image_closed(image);
}

std::vector<HeapImageId> HeapWireRouter::open_images() const {
  std::vector<HeapImageId> out;
  for (const auto& [id, im] : images_)
    if (!im.closed) out.push_back(id);
  return out;
}

}  // namespace leakscope::collect
