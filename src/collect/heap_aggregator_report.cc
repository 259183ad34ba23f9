// The reporting half of the heap aggregator: what changed since the last heap tick, as
// capture rows (per-stack counters of the stacks that changed, per-process totals, stack
// frames the first time a stack appears, modules, and the unfreed blocks of processes
// that ended); see heap_aggregator.h.
#include <algorithm>
#include <cmath>

#include "collect/heap_aggregator_state.h"

namespace leakscope::collect {
namespace {

int64_t rounded(double v) { return static_cast<int64_t>(std::llround(v)); }

// How the stacks were obtained: "cfi" (rules from .eh_frame cached per return address,
// frame pointers or not), "dwarf" (libgcc's unwinder, for frames such rules cannot
// express) or "mixed", with the counts behind it.
std::string describe_unwinder(const HeapSourceStats& s) {
  uint64_t unwinds = s.cfi_stacks + s.dwarf_stacks;
  if (unwinds == 0) return s.cached_stacks ? "cached" : "none";
  std::string kind = s.dwarf_stacks == 0 ? "cfi"
                     : s.cfi_stacks == 0 ? "dwarf"
                                         : "mixed";
  return kind + "; unwinds: cached-cfi " + std::to_string(s.cfi_stacks) + ", dwarf " +
         std::to_string(s.dwarf_stacks) + " (" + std::to_string(s.tail_reuses) +
         " stopped at the previous walk's frames), truncated " + std::to_string(s.truncated_stacks) +
         "; reused from the validated cache " + std::to_string(s.cached_stacks);
}

}  // namespace

void HeapAggregator::note_untracked(const HeapProcessKey& key, int32_t ppid,
                                    const std::string& exe, const std::string& status) {
  ProcessState& p = process_of(key);
  if (p.current != nullptr || p.events > 0) return;  // it did report after all
  p.ppid = ppid;
  if (!exe.empty()) p.exe = exe;
  if (p.status == status) return;
  p.status = status;
  p.row_dirty = true;
  p.notices.push_back("cannot interpose in pid " + std::to_string(key.pid) +
                      (p.exe.empty() ? "" : " (" + p.exe + ")") + ": " +
                      status.substr(status.find(':') == std::string::npos ? 0 : status.find(':') + 2) +
                      "; no allocation data for it");
}

void HeapAggregator::report_process(ProcessState& p, int64_t t_ms, HeapReport* out) {
  bool open = p.current != nullptr;
  bool has_rows = p.row_dirty || p.events != p.events_reported || !p.dirty.empty() || open ||
                  p.total_pending || (p.unfreed_ready && !p.unfreed_reported) ||
                  p.modules_reported < p.modules.size() || !p.notices.empty() || p.wants_maps;
  if (!has_rows) return;
  HeapProcessReport r;
  r.key = p.key;
  r.ppid = p.ppid;
  r.exe = p.exe;
  r.process.mode = p.mode;
  r.process.sample_interval = static_cast<int64_t>(p.interval);
  r.process.unwinder = describe_unwinder(p.stats);
  r.process.status = p.status;
  r.process.events = static_cast<int64_t>(p.events);
  r.process.lost_events = static_cast<int64_t>(p.stats.lost_events);
  p.row_dirty = false;
  p.events_reported = p.events;

  auto emit_frames = [&](uint32_t stack) {
    HeapStackCounters& c = p.counters[stack];
    if (c.frames_written || stack == 0) return;
    c.frames_written = true;
    r.stacks.push_back({0, stack, p.stacks[stack]});
  };
  // In stack order: the capture's (process, stack, time) index then grows by sweeps.
  std::sort(p.dirty.begin(), p.dirty.end());
  for (uint32_t stack : p.dirty) {
    HeapStackCounters& c = p.counters[stack];
    c.dirty = false;
    emit_frames(stack);
    store::HeapSiteSample s;
    s.t_ms = t_ms;
    s.stack_id = stack;
    s.live_bytes = rounded(c.live_bytes);
    s.live_blocks = rounded(c.live_blocks);
    s.alloc_bytes = rounded(c.alloc_bytes);
    s.alloc_blocks = rounded(c.alloc_blocks);
    s.free_bytes = rounded(c.free_bytes);
    s.free_blocks = rounded(c.free_blocks);
    s.short_lived_blocks = rounded(c.short_lived);
    r.sites.push_back(s);
  }
  p.dirty.clear();
  if (open || p.total_pending) {
    store::HeapTotal t;
    t.t_ms = t_ms;
    t.live_bytes = rounded(p.live_bytes);
    t.live_blocks = rounded(p.live_blocks);
    t.mmap_live_bytes = rounded(p.mmap_live);
    t.alloc_bytes = rounded(p.alloc_bytes);
    t.free_bytes = rounded(p.free_bytes);
    r.total = t;
    p.total_pending = false;
  }
  if (p.unfreed_ready && !p.unfreed_reported) {
    for (const auto& [stack, u] : p.unfreed) {
      if (rounded(u.second) == 0 && rounded(u.first) == 0) continue;
      emit_frames(stack);
      r.unfreed.push_back({0, stack, rounded(u.first), rounded(u.second), p.unfreed_at_exit});
    }
    p.unfreed_reported = true;
    r.ended = p.ended;
  }
  for (; p.modules_reported < p.modules.size(); ++p.modules_reported)
    r.modules.push_back(p.modules[p.modules_reported]);
  r.notices = std::move(p.notices);
  p.notices.clear();
  r.wants_maps = p.wants_maps;
  p.wants_maps = false;
  out->processes.push_back(std::move(r));
}

HeapReport HeapAggregator::snapshot(int64_t t_ms) {
  HeapReport out;
  out.t_ms = t_ms;
  for (auto& [key, p] : processes_) report_process(*p, t_ms, &out);
  // A fork child connects before fork() returns in it; a snapshot nobody claimed after a
  // few ticks belongs to a child that could not connect.
  for (auto it = forks_.begin(); it != forks_.end();) {
    if (++it->second->age_ticks > 30) it = forks_.erase(it);
    else ++it;
  }
  return out;
}

HeapReport HeapAggregator::finish(int64_t t_ms) {
  for (auto& [id, im] : images_)
    if (!im->closed && im->process->current == im.get()) end_image(*im, false, false);
  images_.clear();
  forks_.clear();
  last_id_ = 0;
  last_image_ = nullptr;
  return snapshot(t_ms);
}

size_t HeapAggregator::memory_bytes() const {
  size_t total = 0;
  for (const auto& [id, im] : images_) total += im->live.memory_bytes() + im->pending.size() * 64;
  for (const auto& [key, p] : processes_) {
    total += p->counters.capacity() * sizeof(HeapStackCounters);
    for (const auto& s : p->stacks) total += s.capacity() * 8 + sizeof(s);
  }
  return total;
}

}  // namespace leakscope::collect
