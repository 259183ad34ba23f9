// The wire decoder fed with messages built exactly as the preload library builds them
// (src/format/heap_wire.h), into the real aggregator: hello validation and version
// refusal, event records, fork ordering across connections, reconnects and ends.
#include "collect/heap_wire_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "collect/heap_aggregator.h"

namespace leakscope::collect {
namespace {

using namespace format;

struct Msg {
  std::vector<uint8_t> bytes;
  template <typename T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  void finish() {
    uint32_t n = static_cast<uint32_t>(bytes.size());
    std::memcpy(bytes.data() + 4, &n, 4);
  }
};

Msg hello(int pid, uint64_t nonce, uint32_t flags = 0, uint64_t parent_nonce = 0,
          uint64_t fork_id = 0, uint32_t version = kHeapWireVersion) {
  Hello h = {};
  h.header.type = static_cast<uint16_t>(MsgType::kHello);
  h.magic = kHeapWireMagic;
  h.version = version;
  h.pid = pid;
  h.ppid = 1;
  h.start_ticks = 77;
  h.image_nonce = nonce;
  h.parent_nonce = parent_nonce;
  h.fork_id = fork_id;
  h.clock = static_cast<uint32_t>(ClockKind::kMonotonicNs);
  h.flags = flags;
  std::string exe = "/bin/x";
  h.exe_len = static_cast<uint32_t>(exe.size());
  Msg m;
  m.put(h);
  m.bytes.insert(m.bytes.end(), exe.begin(), exe.end());
  m.finish();
  return m;
}

Msg stack_def(uint32_t id, std::vector<uint64_t> pcs) {
  StackDef d = {};
  d.header.type = static_cast<uint16_t>(MsgType::kStack);
  d.id = id;
  d.depth = static_cast<uint32_t>(pcs.size());
  Msg m;
  m.put(d);
  for (uint64_t pc : pcs) m.put(pc);
  m.finish();
  return m;
}

// A kStacks batch: the preload's way since wire version 2.
Msg stack_batch(const std::vector<std::pair<uint32_t, std::vector<uint64_t>>>& defs) {
  MsgHeader h = {};
  h.type = static_cast<uint16_t>(MsgType::kStacks);
  Msg m;
  m.put(h);
  for (const auto& [id, pcs] : defs) {
    m.put(StackEntry{id, static_cast<uint32_t>(pcs.size())});
    for (uint64_t pc : pcs) m.put(pc);
  }
  m.finish();
  return m;
}

struct Rec {
  RecordKind kind;
  uint64_t ptr;
  uint64_t size;
  uint32_t stack;
  int32_t delta;
};

Msg events(uint64_t base, const std::vector<Rec>& recs) {
  MsgHeader h = {};
  h.type = static_cast<uint16_t>(MsgType::kEvents);
  h.base_ts = base;
  Msg m;
  m.put(h);
  for (const auto& r : recs) {
    m.put(record_head(r.kind, r.ptr));
    if (r.kind != RecordKind::kFree) m.put(r.size);
    m.put(ts_word(r.stack, r.delta));
  }
  m.finish();
  return m;
}

template <typename T>
Msg simple(MsgType type, T body) {
  MsgHeader h = {};
  h.type = static_cast<uint16_t>(type);
  Msg m;
  m.put(body);
  std::memcpy(m.bytes.data(), &h, sizeof(h));
  m.finish();
  return m;
}

Msg fork_marker(uint64_t id) {
  ForkMarker f = {};
  f.fork_id = id;
  return simple(MsgType::kFork, f);
}

Msg exit_marker(ExitKind kind) {
  ExitMarker e = {};
  e.kind = static_cast<uint32_t>(kind);
  return simple(MsgType::kExit, e);
}

class DecoderTest : public ::testing::Test {
 protected:
  HeapAggregator agg;
  HeapWireRouter router{&agg};

  HeapWireRouter::Result feed(int conn, const Msg& m) {
    return router.feed(conn, m.bytes.data(), m.bytes.size()).result;
  }
  const HeapProcessReport* find(const HeapReport& r, int pid) {
    for (const auto& p : r.processes)
      if (p.key.pid == pid) return &p;
    return nullptr;
  }
};

TEST_F(DecoderTest, EventsReachTheAggregator) {
  router.open(3, 100, 77);
  ASSERT_EQ(feed(3, hello(100, 0xAAA)), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, stack_def(1, {0x400100, 0x400200})), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, events(1000, {{RecordKind::kAlloc, 0x7000, 48, 1, 0},
                                  {RecordKind::kAlloc, 0x7100, 16, 1, 5},
                                  {RecordKind::kFree, 0x7000, 0, 0, 9}})),
            HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, exit_marker(ExitKind::kExit)), HeapWireRouter::Result::kOk);
  EXPECT_TRUE(router.close(3));  // announced its end: closed at EOF
  HeapReport r = agg.snapshot(10);
  const auto* p = find(r, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->process.events, 3);
  ASSERT_EQ(p->unfreed.size(), 1u);
  EXPECT_EQ(p->unfreed[0].bytes, 16);
  EXPECT_EQ(p->exe, "/bin/x");
  ASSERT_EQ(p->stacks.size(), 1u);
  EXPECT_EQ(p->stacks[0].pcs, (std::vector<uint64_t>{0x400100, 0x400200}));
}

TEST_F(DecoderTest, StackBatchesDefineEveryStackAndBadOnesClose) {
  router.open(3, 100, 77);
  ASSERT_EQ(feed(3, hello(100, 0xAAB)), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, stack_batch({{1, {0x400100, 0x400200}}, {2, {0x400300}}, {3, {}}})),
            HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, events(1000, {{RecordKind::kAlloc, 0x7000, 48, 1, 0},
                                  {RecordKind::kAlloc, 0x7100, 16, 2, 5}})),
            HeapWireRouter::Result::kOk);
  HeapReport r = agg.snapshot(10);
  const auto* p = find(r, 100);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->stacks.size(), 2u);  // stack 3: no event uses it, not written
  EXPECT_EQ(p->stacks[1].pcs, std::vector<uint64_t>{0x400300});

  router.open(4, 101, 77);
  ASSERT_EQ(feed(4, hello(101, 0xAAC)), HeapWireRouter::Result::kOk);
  Msg truncated = stack_batch({{1, {0x400100, 0x400200}}});
  truncated.bytes.resize(truncated.bytes.size() - 8);
  truncated.finish();
  EXPECT_EQ(feed(4, truncated), HeapWireRouter::Result::kClose);
  router.open(5, 102, 77);
  ASSERT_EQ(feed(5, hello(102, 0xAAD)), HeapWireRouter::Result::kOk);
  Msg half_entry = stack_batch({{1, {0x400100}}});
  half_entry.bytes.resize(half_entry.bytes.size() + 4);  // 4 bytes of a next entry
  half_entry.finish();
  EXPECT_EQ(feed(5, half_entry), HeapWireRouter::Result::kClose);
  router.open(6, 103, 77);
  ASSERT_EQ(feed(6, hello(103, 0xAAE)), HeapWireRouter::Result::kOk);
  EXPECT_EQ(feed(6, stack_batch({{1, std::vector<uint64_t>(kMaxStackDepth + 1, 0x400100)}})),
            HeapWireRouter::Result::kClose);
}

TEST_F(DecoderTest, RefusesANewerVersionAndRecordsWhy) {
  router.open(3, 123, 77);
  ASSERT_EQ(feed(3, hello(123, 1, 0, 0, 0, kHeapWireVersion + 1)), HeapWireRouter::Result::kOk);
  HeapReport r = agg.snapshot(10);
  const auto* p = find(r, 123);
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->process.status.find("refused"), std::string::npos);
  EXPECT_NE(p->process.status.find(std::to_string(kHeapWireVersion + 1)), std::string::npos);
}

TEST_F(DecoderTest, RejectsGarbage) {
  router.open(3, 1, 1);
  Msg bad = hello(1, 1);
  std::memset(bad.bytes.data() + sizeof(MsgHeader), 0, 4);  // magic
  EXPECT_EQ(feed(3, bad), HeapWireRouter::Result::kClose);
  router.open(4, 1, 1);
  EXPECT_EQ(feed(4, stack_def(1, {1})), HeapWireRouter::Result::kClose);  // no hello first
  router.open(5, 1, 1);
  ASSERT_EQ(feed(5, hello(1, 2)), HeapWireRouter::Result::kOk);
  Msg ragged = events(0, {{RecordKind::kAlloc, 1, 1, 0, 0}});
  ragged.bytes.resize(ragged.bytes.size() - 8);
  ragged.finish();
  EXPECT_EQ(feed(5, ragged), HeapWireRouter::Result::kClose);
}

TEST_F(DecoderTest, ForkChildWaitsForItsParentsMarker) {
  router.open(3, 100, 77);
  ASSERT_EQ(feed(3, hello(100, 0xAAA)), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, stack_def(1, {0x10})), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, events(0, {{RecordKind::kAlloc, 0x7000, 48, 1, 0}})), HeapWireRouter::Result::kOk);
  // The child's hello is read before the parent's marker.
  router.open(4, 101, 78);
  Msg child = hello(101, 0xBBB, kHelloForkChild, 0xAAA, 1);
  auto res = router.feed(4, child.bytes.data(), child.bytes.size());
  ASSERT_EQ(res.result, HeapWireRouter::Result::kNeedParent);
  EXPECT_EQ(res.needed_conn, 3);
  ASSERT_EQ(feed(3, fork_marker(1)), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(4, child), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(4, exit_marker(ExitKind::kUnderscoreExit)), HeapWireRouter::Result::kOk);
  EXPECT_TRUE(router.close(4));
  HeapReport r = agg.snapshot(10);
  const auto* c = find(r, 101);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->unfreed.size(), 1u);  // inherited from the parent
  EXPECT_EQ(c->unfreed[0].bytes, 48);
}

TEST_F(DecoderTest, ReconnectContinuesTheImageAndEofAloneDoesNotEndIt) {
  router.open(3, 100, 77);
  ASSERT_EQ(feed(3, hello(100, 0xAAA)), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(3, events(0, {{RecordKind::kAlloc, 0x7000, 10, 0, 0}})), HeapWireRouter::Result::kOk);
  EXPECT_FALSE(router.close(3));  // the program closed our fd: it may reconnect
  ASSERT_EQ(router.disconnected_images().size(), 1u);
  router.open(4, 100, 77);
  ASSERT_EQ(feed(4, hello(100, 0xAAA, kHelloReconnect)), HeapWireRouter::Result::kOk);
  ASSERT_EQ(feed(4, events(5, {{RecordKind::kFree, 0x7000, 0, 0, 0}})), HeapWireRouter::Result::kOk);
  EXPECT_TRUE(router.disconnected_images().empty());
  EXPECT_FALSE(router.close(4));
  auto gone = router.disconnected_images();
  ASSERT_EQ(gone.size(), 1u);
  router.close_image(gone[0].image);  // its process is gone
  HeapReport r = agg.snapshot(10);
  const auto* p = find(r, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->process.events, 2);
  EXPECT_TRUE(p->unfreed.empty());
  EXPECT_TRUE(p->ended);
  EXPECT_TRUE(router.open_images().empty());
}

TEST_F(DecoderTest, MremapIsAnUnmapAndAMap) {
  router.open(3, 100, 77);
  ASSERT_EQ(feed(3, hello(100, 0xAAA)), HeapWireRouter::Result::kOk);
  MsgHeader h = {};
  h.type = static_cast<uint16_t>(MsgType::kEvents);
  Msg m;
  m.put(h);
  m.put(record_head(RecordKind::kMmap, 0x100000));
  m.put(uint64_t{0x2000});
  m.put(ts_word(0, 0));
  m.put(record_head(RecordKind::kMremap, 0x300000));
  m.put(uint64_t{0x8000});
  m.put(uint64_t{0x100000});
  m.put(uint64_t{0x2000});
  m.put(ts_word(0, 1));
  m.finish();
  ASSERT_EQ(feed(3, m), HeapWireRouter::Result::kOk);
  HeapReport r = agg.snapshot(10);
  ASSERT_NE(find(r, 100), nullptr);
  ASSERT_TRUE(find(r, 100)->total.has_value());
  EXPECT_EQ(find(r, 100)->total->mmap_live_bytes, 0x8000);
}

}  // namespace
}  // namespace leakscope::collect
