// The heap aggregator: consumes allocation events (HeapEventSink) and keeps, per process,
// the live-block map of its current image, per-call-stack counters and totals; at every
// heap tick it reports only what changed, and when a process exits, what it never freed.
// Raw events are never stored.
//
// Ordering: events of one thread arrive in order, but threads' buffers arrive whenever they
// fill up, so a free may arrive before its alloc and a pointer may be reused before the
// free of its previous block arrives. Timestamps settle it: a pointer's live entry is its
// newest alloc; an older alloc whose free has not arrived waits in a side list (still
// live); a free that matches nothing yet waits as a tombstone and kills the alloc it
// belongs to (the newest one before it) when that arrives. At the end, each pointer's state
// is decided by its latest event, whatever the arrival order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "collect/heap_events.h"
#include "collect/heap_live_map.h"
#include "store/heap_types.h"

namespace leakscope::collect {

struct HeapProcessKey {
  int32_t pid = 0;
  uint64_t start_ticks = 0;
  bool operator<(const HeapProcessKey& o) const {
    return pid != o.pid ? pid < o.pid : start_ticks < o.start_ticks;
  }
  bool operator==(const HeapProcessKey& o) const {
    return pid == o.pid && start_ticks == o.start_ticks;
  }
};

// What one process contributes to the capture at a heap tick. process_id fields of the
// rows are 0: the recorder fills in the capture id it resolves from `key`.
struct HeapProcessReport {
  HeapProcessKey key;
  int32_t ppid = 0;
  std::string exe;
  bool ended = false;  // the process exited (its unfreed rows are in this report)
  store::HeapProcess process;
  std::vector<store::HeapStack> stacks;  // first seen in this report
  std::vector<store::HeapSiteSample> sites;
  std::optional<store::HeapTotal> total;
  std::vector<store::HeapUnfreed> unfreed;
  std::vector<store::Module> modules;
  std::vector<std::string> notices;  // to say once on stderr
  bool wants_maps = false;  // some pcs lie outside every known module: read /proc/PID/maps
};

struct HeapReport {
  int64_t t_ms = 0;
  std::vector<HeapProcessReport> processes;
};

struct HeapAggregatorOptions {
  // A block freed within this time counts as short-lived (a temporary allocation).
  int64_t short_lived_ns = 10 * 1000 * 1000;
  // Unmatched frees older than this behind the image's watermark are dropped.
  int64_t tombstone_ttl_ns = 2000LL * 1000 * 1000;
};

class HeapAggregator final : public HeapEventSink {
 public:
  explicit HeapAggregator(HeapAggregatorOptions options = {});
  ~HeapAggregator() override;

  // TSC ticks per nanosecond, for images whose clock is the TSC (calibrated by the caller).
  void set_tsc_rate(double ticks_per_ns);

  // HeapEventSink
  void image_started(HeapImageId image, const HeapImageInfo& info) override;
  void stack_interned(HeapImageId image, uint32_t stack, const uint64_t* pcs,
                      size_t depth) override;
  void alloc(HeapImageId image, uint64_t ptr, uint64_t size, uint32_t stack,
             uint64_t ts) override;
  void free(HeapImageId image, uint64_t ptr, uint64_t ts) override;
  void events(HeapImageId image, const HeapEvent* events, size_t count) override;
  void mmap(HeapImageId image, uint64_t addr, uint64_t len, uint32_t stack,
            uint64_t ts) override;
  void munmap(HeapImageId image, uint64_t addr, uint64_t len, uint64_t ts) override;
  void module_loaded(HeapImageId image, const HeapModuleInfo& module) override;
  void fork_point(HeapImageId image, uint64_t fork_id) override;
  void watermark(HeapImageId image, uint64_t ts) override;
  void status_changed(HeapImageId image, HeapImageStatus status, std::string_view text) override;
  void source_stats(HeapImageId image, const HeapSourceStats& stats) override;
  void image_ending(HeapImageId image, HeapEndReason reason) override;
  void image_closed(HeapImageId image) override;

  // Modules found another way (/proc/PID/maps) for a process whose pcs fell outside the
  // modules its source reported.
  void add_modules(const HeapProcessKey& key, const std::vector<HeapModuleInfo>& modules);
  // A process that never reported (static binary, library not loaded): recorded with
  // this status so the capture says why there is no data.
  void note_untracked(const HeapProcessKey& key, int32_t ppid, const std::string& exe,
                      const std::string& status);
  bool knows(const HeapProcessKey& key) const;

  // Rows changed since the last report.
  HeapReport snapshot(int64_t t_ms);
  // End of recording: images still open are reported with at_exit = 0.
  HeapReport finish(int64_t t_ms);

  size_t memory_bytes() const;

 private:
  struct ProcessState;
  struct ImageState;
  struct ForkSnapshot;

  ImageState* image_state(HeapImageId image);
  ProcessState& process_of(const HeapProcessKey& key);
  uint32_t intern_stack(ProcessState& p, const uint64_t* pcs, size_t depth);
  double weight(const ImageState& im, uint64_t size) const;
  void add_live(ImageState& im, uint32_t stack, uint64_t size);
  void count_free(ImageState& im, const LiveMap::Block& b, uint64_t free_ts);
  bool match_pending_free(ImageState& im, uint64_t ptr, uint64_t ts);
  bool repair_provisional(ImageState& im, uint64_t ptr, uint64_t ts);
  bool match_tombstone(ImageState& im, uint64_t ptr, uint64_t ts, uint64_t* free_ts);
  void end_image(ImageState& im, bool at_exit, bool vanished);
  void report_process(ProcessState& p, int64_t t_ms, HeapReport* out);
  void touch(ProcessState& p, uint32_t stack);

  HeapAggregatorOptions options_;
  double tsc_per_ns_ = 1.0;
  std::map<HeapProcessKey, std::unique_ptr<ProcessState>> processes_;
  std::unordered_map<HeapImageId, std::unique_ptr<ImageState>> images_;
  std::map<std::pair<HeapImageId, uint64_t>, std::unique_ptr<ForkSnapshot>> forks_;
  HeapImageId last_id_ = 0;
  ImageState* last_image_ = nullptr;
};

}  // namespace leakscope::collect
