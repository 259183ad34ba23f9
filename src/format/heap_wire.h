// The heap-tracking wire format between the preload library (inside every target process)
// and the collector (the `leakscope` process). Header-only and dependency-free because the
// preload library may include nothing else of the project.
//
// Transport: one SOCK_SEQPACKET unix-socket connection per process image (a fork child and
// an exec'd image connect anew), so each message arrives whole and messages that threads
// send concurrently never interleave. Every message starts with MsgHeader; the first one on
// a connection is a Hello carrying kHeapWireMagic and kHeapWireVersion (the collector
// refuses a newer version and records why).
//
// Event messages carry a thread's buffer: a sequence of records made of 8-byte words. The
// first word of a record holds the kind in its top byte and a pointer in the low 56 bits.
// Timestamps are deltas (signed 32 bits) from the message's base_ts, in the clock named by
// the Hello (TSC ticks or CLOCK_MONOTONIC ns); they order events of different threads.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace leakscope::format {

inline constexpr uint32_t kHeapWireMagic = 0x5048534CU;  // "LSHP" little-endian
// 2: stack definitions come in batches (kStacks).
inline constexpr uint32_t kHeapWireVersion = 2;

// Environment variables the collector sets for the target (inherited by its children).
inline constexpr const char* kEnvSocket = "LEAKSCOPE_HEAP_SOCKET";
inline constexpr const char* kEnvMode = "LEAKSCOPE_HEAP_MODE";  // "full" or "sample:<bytes>"

// The largest message either side sends or accepts (also the preload's buffer size).
inline constexpr size_t kMaxMessageBytes = 64 * 1024;
inline constexpr int kMaxStackDepth = 64;
// Frames recorded per stack unless LEAKSCOPE_HEAP_DEPTH (1..64) says otherwise: deep
// recursion above a call site then counts as one site, and a stack costs half the rows.
inline constexpr int kDefaultStackDepth = 32;
inline constexpr const char* kEnvDepth = "LEAKSCOPE_HEAP_DEPTH";

enum class MsgType : uint16_t {
  kHello = 1,      // Hello
  kEvents = 2,     // MsgHeader + records
  kStack = 3,      // StackDef + pcs: one stack (accepted; the preload sends kStacks since v2)
  kFork = 4,       // ForkMarker: the parent's state at this point is the child's
  kExit = 5,       // ExitMarker: the image is ending (more events may follow until EOF)
  kWatermark = 6,  // Watermark: every event stamped before `ts` has been sent
  kModules = 7,    // ModulesHeader + ModuleEntry...: executable mappings of loaded objects
  kStatus = 8,     // StatusMsg: tracking state changed (turned off, cannot interpose)
  kStats = 9,      // StatsMsg: unwinder use and losses so far (cumulative)
  kStacks = 10,    // MsgHeader + (StackEntry + pcs)...: sent before any record uses an id
  // The only message the collector sends (a bare MsgHeader): the recording ended while
  // this process runs on, so a failed send afterwards is expected and not worth a word on
  // the program's stderr.
  kRecordingEnded = 11,
};

struct MsgHeader {
  uint16_t type;   // MsgType
  uint16_t flags;
  uint32_t bytes;  // whole message, header included
  uint64_t base_ts;
};
static_assert(sizeof(MsgHeader) == 16);

enum class ClockKind : uint32_t { kTsc = 0, kMonotonicNs = 1 };

enum class HeapStatus : uint32_t {
  kTracking = 0,
  kOwnMalloc = 1,       // the program (or a library before us) defines malloc: not interposed
  kOff = 2,             // tracking turned itself off (text in StatusMsg)
};

enum HelloFlags : uint32_t {
  kHelloReconnect = 1,  // same image as an earlier connection (our fd had been closed)
  kHelloForkChild = 2,  // parent_nonce/fork_id name the parent's ForkMarker
};

struct Hello {
  MsgHeader header;
  uint32_t magic;
  uint32_t version;
  int32_t pid;
  int32_t ppid;
  uint64_t start_ticks;      // /proc/self/stat field 22: with pid, the process identity
  uint64_t image_nonce;      // random per process image (new after fork and exec)
  uint64_t parent_nonce;     // fork child: the parent image's nonce
  uint64_t fork_id;          // fork child: the parent's ForkMarker id
  uint64_t sample_interval;  // bytes; 0 = every allocation
  uint32_t clock;            // ClockKind
  uint32_t flags;            // HelloFlags
  uint32_t status;           // HeapStatus
  uint32_t exe_len;          // followed by the executable's path (not terminated)
};
static_assert(sizeof(Hello) == 88);

// Record kinds (top byte of a record's first word). The last word of every record is its
// ts_word(stack, delta); stack is 0 where the kind has none.
enum class RecordKind : uint8_t {
  kAlloc = 1,   // ptr, size, ts_word(stack)
  kFree = 2,    // ptr, ts_word(0)
  kMmap = 3,    // addr, length, ts_word(stack): anonymous memory mapped by the program
  kMunmap = 4,  // addr, length, ts_word(0): unmapped (or replaced by a file mapping)
  kMremap = 5,  // new addr, new length, old addr, old length, ts_word(stack)
};

inline constexpr uint64_t kPtrMask = (uint64_t{1} << 56) - 1;

inline constexpr uint64_t record_head(RecordKind kind, uint64_t ptr) {
  return (uint64_t{static_cast<uint8_t>(kind)} << 56) | (ptr & kPtrMask);
}
inline constexpr RecordKind record_kind(uint64_t w0) { return static_cast<RecordKind>(w0 >> 56); }
inline constexpr uint64_t record_ptr(uint64_t w0) { return w0 & kPtrMask; }
// Words of a record of this kind, 0 for an unknown kind.
inline constexpr int record_words(RecordKind kind) {
  switch (kind) {
    case RecordKind::kFree: return 2;
    case RecordKind::kAlloc:
    case RecordKind::kMmap:
    case RecordKind::kMunmap: return 3;
    case RecordKind::kMremap: return 5;
  }
  return 0;
}

inline constexpr uint64_t ts_word(uint32_t stack, int32_t delta) {
  return uint64_t{stack} | (uint64_t{static_cast<uint32_t>(delta)} << 32);
}
inline constexpr uint32_t ts_word_stack(uint64_t w) { return static_cast<uint32_t>(w); }
inline constexpr int32_t ts_word_delta(uint64_t w) { return static_cast<int32_t>(w >> 32); }

struct StackDef {
  MsgHeader header;
  uint32_t id;     // ids start at 1; 0 means "no stack"
  uint32_t depth;  // followed by `depth` return addresses, innermost first
};
static_assert(sizeof(StackDef) == 24);

// One definition in a kStacks message: `depth` return addresses follow, innermost first.
// A compiler defines ~100 k stacks; one message each cost it 0.3 s of system calls.
struct StackEntry {
  uint32_t id;
  uint32_t depth;
};
static_assert(sizeof(StackEntry) == 8);

struct ForkMarker {
  MsgHeader header;
  uint64_t fork_id;
};

enum class ExitKind : uint32_t { kExit = 0, kUnderscoreExit = 1, kAbort = 2, kAssert = 3, kExec = 4 };

struct ExitMarker {
  MsgHeader header;
  uint32_t kind;  // ExitKind
  uint32_t reserved;
};

struct Watermark {
  MsgHeader header;
  uint64_t ts;
};

struct ModulesHeader {
  MsgHeader header;
  uint32_t count;
  uint32_t reserved;
};
// Followed by path_len bytes of path and build_id_len bytes of raw build-id, then padding
// to 8 bytes.
struct ModuleEntry {
  uint64_t start;
  uint64_t end;
  uint64_t file_offset;
  uint16_t path_len;
  uint16_t build_id_len;
  uint32_t reserved;
};
static_assert(sizeof(ModuleEntry) == 32);

struct StatusMsg {
  MsgHeader header;
  uint32_t status;    // HeapStatus
  uint32_t text_len;  // followed by the reason, not terminated
};

struct StatsMsg {
  MsgHeader header;
  uint64_t cfi_stacks;       // stacks unwound with cached CFI rules only
  uint64_t dwarf_stacks;     // stacks unwound by DWARF CFI (a frame without a frame pointer)
  uint64_t cached_stacks;    // stacks reused from the per-thread validated cache
  uint64_t truncated_stacks; // stacks cut short (no unwinder for a frame, depth limit)
  uint64_t tail_reuses;      // CFI walks that stopped at a frame of the previous walk
  uint64_t lost_events;      // events dropped (collector gone or too slow)
  uint64_t sample_set_full;  // sampled mode: allocations not sampled, pointer set full
};

inline constexpr size_t align8(size_t n) { return (n + 7) & ~size_t{7}; }

}  // namespace leakscope::format
