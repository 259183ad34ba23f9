// The collector's interface for allocation events, independent of where they come from:
// today the preload library's wire stream (heap_wire_decoder), later an eBPF uprobe source.
// A source reports process images (one per process and exec; a fork child is a new image
// that starts as a copy of its parent at the fork point), interned call stacks, and
// allocation events stamped with the source's clock; the aggregator consumes them.
//
// Events of one image may arrive out of order across the target's threads (each thread's
// events arrive in order, but another thread's buffer may reach the collector later), so
// the sink must accept a free before its alloc and a pointer reused before its free
// arrives; the timestamps order them. A realloc is a free followed by an alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace leakscope::collect {

using HeapImageId = uint64_t;  // assigned by the source, never 0

struct HeapImageInfo {
  int32_t pid = 0;
  int32_t ppid = 0;
  uint64_t start_ticks = 0;     // with pid: the process identity (/proc/PID/stat field 22)
  std::string exe;
  uint64_t sample_interval = 0;  // bytes; 0 = every allocation is reported
  bool clock_is_tsc = false;     // event timestamps: TSC ticks, else CLOCK_MONOTONIC ns
  HeapImageId fork_parent = 0;   // a fork child: the parent image ...
  uint64_t fork_id = 0;          // ... and its fork point (see fork_point)
};

struct HeapModuleInfo {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  std::string path;
  std::string build_id;  // lower-case hex, "" if none
};

enum class HeapImageStatus { kTracking, kOwnMalloc, kOff, kRefused };

enum class HeapEndReason { kExit, kUnderscoreExit, kAbort, kAssert, kExec, kUnknown };

// Cumulative counters a source reports about itself.
struct HeapSourceStats {
  uint64_t cfi_stacks = 0;
  uint64_t dwarf_stacks = 0;
  uint64_t cached_stacks = 0;
  uint64_t truncated_stacks = 0;
  uint64_t tail_reuses = 0;
  uint64_t lost_events = 0;
  uint64_t sample_set_full = 0;
};

// An allocation or a free, for sources that deliver them in batches.
struct HeapEvent {
  bool is_alloc = false;
  uint32_t stack = 0;  // allocs
  uint64_t ptr = 0;
  uint64_t size = 0;   // allocs
  uint64_t ts = 0;
};

class HeapEventSink {
 public:
  virtual ~HeapEventSink() = default;

  virtual void image_started(HeapImageId image, const HeapImageInfo& info) = 0;
  // A stack id is defined before any event of the image uses it; pcs innermost first.
  virtual void stack_interned(HeapImageId image, uint32_t stack, const uint64_t* pcs,
                              size_t depth) = 0;
  virtual void alloc(HeapImageId image, uint64_t ptr, uint64_t size, uint32_t stack,
                     uint64_t ts) = 0;
  virtual void free(HeapImageId image, uint64_t ptr, uint64_t ts) = 0;
  // The same as alloc/free for each event in order; a sink may override it to overlap the
  // memory accesses of consecutive events.
  virtual void events(HeapImageId image, const HeapEvent* events, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      const HeapEvent& e = events[i];
      if (e.is_alloc) alloc(image, e.ptr, e.size, e.stack, e.ts);
      else free(image, e.ptr, e.ts);
    }
  }
  // Anonymous memory the program mapped itself (not the allocator's own mappings).
  virtual void mmap(HeapImageId image, uint64_t addr, uint64_t len, uint32_t stack,
                    uint64_t ts) = 0;
  virtual void munmap(HeapImageId image, uint64_t addr, uint64_t len, uint64_t ts) = 0;
  virtual void module_loaded(HeapImageId image, const HeapModuleInfo& module) = 0;
  // The image's state at this point is what its fork child `fork_id` starts from.
  virtual void fork_point(HeapImageId image, uint64_t fork_id) = 0;
  // Every event of the image stamped before ts has been reported.
  virtual void watermark(HeapImageId image, uint64_t ts) = 0;
  virtual void status_changed(HeapImageId image, HeapImageStatus status,
                              std::string_view text) = 0;
  virtual void source_stats(HeapImageId image, const HeapSourceStats& stats) = 0;
  // The image announced its end (more events may still follow until it is closed).
  virtual void image_ending(HeapImageId image, HeapEndReason reason) = 0;
  // No more events will come for the image (its process exited, exec'd or was killed).
  virtual void image_closed(HeapImageId image) = 0;
};

}  // namespace leakscope::collect
