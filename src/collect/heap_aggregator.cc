// The event half of the heap aggregator: live maps, out-of-order reconciliation, stack
// interning, fork and exec; see heap_aggregator.h.
#include <algorithm>
#include <functional>

#include "collect/heap_aggregator_state.h"

namespace leakscope::collect {

// How far beyond the highest known stack id a new definition may be.
constexpr size_t kMaxStackIdGap = size_t{1} << 16;

HeapAggregator::HeapAggregator(HeapAggregatorOptions options) : options_(options) {}
HeapAggregator::~HeapAggregator() = default;

void HeapAggregator::set_tsc_rate(double ticks_per_ns) {
  if (!(ticks_per_ns > 0)) return;
  tsc_per_ns_ = ticks_per_ns;
  for (auto& [id, im] : images_)
    if (im->tsc) im->short_lived_ticks = static_cast<uint64_t>(options_.short_lived_ns * tsc_per_ns_);
}

HeapAggregator::ImageState* HeapAggregator::image_state(HeapImageId image) {
  if (image == last_id_) return last_image_;
  auto it = images_.find(image);
  last_id_ = image;
  last_image_ = it == images_.end() ? nullptr : it->second.get();
  return last_image_;
}

HeapAggregator::ProcessState& HeapAggregator::process_of(const HeapProcessKey& key) {
  auto& slot = processes_[key];
  if (!slot) {
    slot = std::make_unique<ProcessState>();
    slot->key = key;
  }
  return *slot;
}

bool HeapAggregator::knows(const HeapProcessKey& key) const { return processes_.count(key) > 0; }

double HeapAggregator::weight(const ImageState& im, uint64_t size) const {
  return im.interval == 0 ? 1.0 : sample_weight(im.interval, size);
}

void HeapAggregator::touch(ProcessState& p, uint32_t stack) {
  HeapStackCounters& c = p.counters[stack];
  if (!c.dirty) {
    c.dirty = true;
    p.dirty.push_back(stack);
  }
}

void HeapAggregator::add_live(ImageState& im, uint32_t stack, uint64_t size) {
  ProcessState& p = *im.process;
  double w = weight(im, size);
  HeapStackCounters& c = p.counters[stack];
  c.live_bytes += w * static_cast<double>(size);
  c.live_blocks += w;
  p.live_bytes += w * static_cast<double>(size);
  p.live_blocks += w;
  touch(p, stack);
}

void HeapAggregator::count_free(ImageState& im, const LiveMap::Block& b, uint64_t free_ts) {
  ProcessState& p = *im.process;
  double w = weight(im, b.size);
  double bytes = w * static_cast<double>(b.size);
  HeapStackCounters& c = p.counters[b.stack];
  c.live_bytes -= bytes;
  c.live_blocks -= w;
  c.free_bytes += bytes;
  c.free_blocks += w;
  if (free_ts >= b.ts && free_ts - b.ts < im.short_lived_ticks) c.short_lived += w;
  p.live_bytes -= bytes;
  p.live_blocks -= w;
  p.free_bytes += bytes;
  touch(p, b.stack);
}

uint32_t HeapAggregator::intern_stack(ProcessState& p, const uint64_t* pcs, size_t depth) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ depth;
  for (size_t i = 0; i < depth; ++i) h = (h ^ pcs[i]) * 0x100000001B3ULL + (h >> 29);
  auto range = p.stack_by_hash.equal_range(h);
  for (auto it = range.first; it != range.second; ++it) {
    const auto& s = p.stacks[it->second];
    if (s.size() == depth && std::equal(s.begin(), s.end(), pcs)) return it->second;
  }
  uint32_t id = static_cast<uint32_t>(p.stacks.size());
  p.stacks.emplace_back(pcs, pcs + depth);
  p.counters.emplace_back();
  p.stack_by_hash.emplace(h, id);
  if (!p.module_ranges.empty()) {
    for (size_t i = 0; i < depth && !p.wants_maps; ++i) {
      auto it = std::upper_bound(p.module_ranges.begin(), p.module_ranges.end(),
                                 std::make_pair(pcs[i], ~uint64_t{0}));
      if (it == p.module_ranges.begin() || pcs[i] >= std::prev(it)->second) p.wants_maps = true;
    }
  }
  return id;
}

void HeapAggregator::image_started(HeapImageId image, const HeapImageInfo& info) {
  HeapProcessKey key{info.pid, info.start_ticks};
  ProcessState& p = process_of(key);
  if (p.current != nullptr && !p.current->closed) end_image(*p.current, false, true);  // exec
  p.ppid = info.ppid;
  if (!info.exe.empty()) p.exe = info.exe;
  p.mode = info.sample_interval ? "sampled" : "full";
  p.interval = info.sample_interval;
  if (!store::never_interposed(p.status)) p.status = "tracking";
  p.ended = false;
  p.row_dirty = true;

  auto im = std::make_unique<ImageState>();
  im->id = image;
  im->process = &p;
  im->interval = info.sample_interval;
  im->tsc = info.clock_is_tsc;
  im->short_lived_ticks = static_cast<uint64_t>(
      static_cast<double>(options_.short_lived_ns) * (im->tsc ? tsc_per_ns_ : 1.0));
  if (info.fork_parent != 0) {
    auto it = forks_.find({info.fork_parent, info.fork_id});
    if (it != forks_.end()) {
      ForkSnapshot& snap = *it->second;
      ProcessState& parent = process_of(snap.parent);
      // Inherited blocks keep the parent's stack ids: the child starts with its table.
      if (p.stacks.size() == 1) {
        p.stacks = parent.stacks;
        p.stack_by_hash = parent.stack_by_hash;
        p.counters.assign(p.stacks.size(), HeapStackCounters());
        p.modules = parent.modules;
        p.module_ranges = parent.module_ranges;
        p.modules_reported = 0;
      }
      im->live = std::move(snap.live);
      im->stack_map = std::move(snap.stack_map);
      im->mmaps = std::move(snap.mmaps);
      ImageState& child = *im;
      child.live.for_each([&](uint64_t, const LiveMap::Block& b) {
        double w = weight(child, b.size);
        HeapStackCounters& c = p.counters[b.stack];
        c.alloc_bytes += w * static_cast<double>(b.size);
        c.alloc_blocks += w;
        p.alloc_bytes += w * static_cast<double>(b.size);
        add_live(child, b.stack, b.size);
      });
      for (const auto& [start, r] : child.mmaps) p.mmap_live += static_cast<double>(r.end - start);
      forks_.erase(it);
    }
  }
  p.current = im.get();
  images_[image] = std::move(im);
  last_id_ = 0;
  last_image_ = nullptr;
}

void HeapAggregator::stack_interned(HeapImageId image, uint32_t stack, const uint64_t* pcs,
                                    size_t depth) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed) return;
  // Ids are dense per image (its threads' definitions may arrive a little out of order),
  // so one far beyond the known ones is a broken or hostile stream: ignore it rather than
  // let a single message size the table (its events count as "no stack").
  if (stack >= im->stack_map.size() + kMaxStackIdGap) return;
  uint32_t id = intern_stack(*im->process, pcs, depth);
  if (stack >= im->stack_map.size()) im->stack_map.resize(std::max<size_t>(stack + 1, im->stack_map.size() * 3 / 2), 0);
  im->stack_map[stack] = id;
}

namespace {
// The element of `list` that `accept`s and ranks first by `before`, or list.end(): the
// pending lists pair a free with an alloc by this rule, each with its own order.
template <typename List, typename Accept, typename Before>
auto pick(List& list, Accept accept, Before before) {
  auto best = list.end();
  for (auto it = list.begin(); it != list.end(); ++it)
    if (accept(*it) && (best == list.end() || before(*it, *best))) best = it;
  return best;
}
}  // namespace

bool HeapAggregator::match_tombstone(ImageState& im, uint64_t ptr, uint64_t ts, uint64_t* free_ts) {
  auto it = im.pending.find(ptr);
  if (it == im.pending.end() || it->second.tombstones.empty()) return false;
  // The free of an alloc is the earliest free after it.
  auto& ts_list = it->second.tombstones;
  auto best = pick(ts_list, [&](uint64_t f) { return f >= ts; }, std::less<uint64_t>());
  if (best == ts_list.end()) return false;
  *free_ts = *best;
  ts_list.erase(best);
  if (it->second.empty()) im.pending.erase(it);
  return true;
}

bool HeapAggregator::repair_provisional(ImageState& im, uint64_t ptr, uint64_t ts) {
  auto it = im.pending.find(ptr);
  if (it == im.pending.end() || it->second.provisional.empty()) return false;
  // This free came between an alloc and the later free it was paired with: it is that
  // alloc's, and the later free waits for the next alloc of the address again.
  auto& list = it->second.provisional;
  auto best = pick(
      list, [&](const HeapProvisional& p) { return p.block.ts <= ts && ts < p.free_ts; },
      [](const HeapProvisional& a, const HeapProvisional& b) { return a.block.ts > b.block.ts; });
  if (best == list.end()) return false;
  HeapProvisional pair = *best;
  list.erase(best);
  // Its lifetime changed: it may no longer (or now) count as short-lived.
  auto lived = [&](uint64_t f) {
    return f >= pair.block.ts && f - pair.block.ts < im.short_lived_ticks ? 1.0 : 0.0;
  };
  double w = weight(im, pair.block.size);
  im.process->counters[pair.block.stack].short_lived += w * (lived(ts) - lived(pair.free_ts));
  touch(*im.process, pair.block.stack);
  it->second.tombstones.push_back(pair.free_ts);
  return true;
}

bool HeapAggregator::match_pending_free(ImageState& im, uint64_t ptr, uint64_t ts) {
  auto it = im.pending.find(ptr);
  if (it == im.pending.end() || it->second.displaced.empty()) return false;
  // A free belongs to the newest alloc before it.
  auto& blocks = it->second.displaced;
  auto best = pick(
      blocks, [&](const LiveMap::Block& b) { return b.ts <= ts; },
      [](const LiveMap::Block& a, const LiveMap::Block& b) { return a.ts > b.ts; });
  if (best == blocks.end()) return false;
  count_free(im, *best, ts);
  blocks.erase(best);
  if (it->second.empty()) im.pending.erase(it);
  return true;
}

void HeapAggregator::alloc(HeapImageId image, uint64_t ptr, uint64_t size, uint32_t stack,
                           uint64_t ts) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed) return;
  ProcessState& p = *im->process;
  p.events += 1;
  uint32_t id = stack < im->stack_map.size() ? im->stack_map[stack] : 0;
  double w = weight(*im, size);
  HeapStackCounters& c = p.counters[id];
  c.alloc_bytes += w * static_cast<double>(size);
  c.alloc_blocks += w;
  p.alloc_bytes += w * static_cast<double>(size);
  add_live(*im, id, size);
  LiveMap::Block b{size, ts, id};
  uint64_t free_ts = 0;
  if (!im->pending.empty() && match_tombstone(*im, ptr, ts, &free_ts)) {
    // Its free arrived first (from another thread's buffer): it is already gone, unless
    // its own thread's stream still holds an earlier free of it (repair_provisional).
    count_free(*im, b, free_ts);
    if (free_ts > im->watermark) im->pending[ptr].provisional.push_back({b, free_ts});
    return;
  }
  LiveMap::Block old;
  if (im->live.insert(ptr, b, &old)) {
    // The pointer was live: a free in between has not arrived yet. The newest alloc stays
    // in the map, the other waits aside (still live) for its free.
    if (old.ts > ts) {
      LiveMap::Block newer;
      im->live.insert(ptr, old, &newer);
      im->pending[ptr].displaced.push_back(b);
    } else {
      im->pending[ptr].displaced.push_back(old);
    }
  }
}

void HeapAggregator::free(HeapImageId image, uint64_t ptr, uint64_t ts) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed) return;
  im->process->events += 1;
  LiveMap::Block b;
  bool found;
  if (im->live.erase_if_not_after(ptr, ts, &b, &found)) {
    count_free(*im, b, ts);
    return;
  }
  if (!im->pending.empty() && match_pending_free(*im, ptr, ts)) return;
  if (!im->pending.empty() && repair_provisional(*im, ptr, ts)) return;
  // Its alloc has not arrived (or was never seen: allocated before tracking started).
  im->pending[ptr].tombstones.push_back(ts);
}

void HeapAggregator::events(HeapImageId image, const HeapEvent* events, size_t count) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed) return;
  // The live map is the working set: ask for the entries a few events ahead so that their
  // cache misses overlap with the work on the current ones.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < count && i < kAhead; ++i) im->live.prefetch(events[i].ptr);
  for (size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) im->live.prefetch(events[i + kAhead].ptr);
    const HeapEvent& e = events[i];
    if (e.is_alloc) alloc(image, e.ptr, e.size, e.stack, e.ts);
    else free(image, e.ptr, e.ts);
  }
}

void HeapAggregator::mmap(HeapImageId image, uint64_t addr, uint64_t len, uint32_t stack,
                          uint64_t ts) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed || len == 0) return;
  munmap(image, addr, len, ts);  // MAP_FIXED replaces whatever was there
  uint32_t id = stack < im->stack_map.size() ? im->stack_map[stack] : 0;
  im->mmaps[addr] = {addr + len, id};
  im->process->mmap_live += static_cast<double>(len);
}

void HeapAggregator::munmap(HeapImageId image, uint64_t addr, uint64_t len, uint64_t) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed || im->mmaps.empty()) return;
  uint64_t end = addr + len;
  auto it = im->mmaps.upper_bound(addr);
  if (it != im->mmaps.begin()) --it;
  while (it != im->mmaps.end() && it->first < end) {
    uint64_t start = it->first;
    HeapMmapRegion r = it->second;
    if (r.end <= addr) {
      ++it;
      continue;
    }
    uint64_t cut_from = std::max(start, addr), cut_to = std::min(r.end, end);
    im->process->mmap_live -= static_cast<double>(cut_to - cut_from);
    it = im->mmaps.erase(it);
    if (start < cut_from) im->mmaps[start] = {cut_from, r.stack};
    if (cut_to < r.end) it = im->mmaps.emplace(cut_to, HeapMmapRegion{r.end, r.stack}).first;
  }
}

void HeapAggregator::module_loaded(HeapImageId image, const HeapModuleInfo& m) {
  ImageState* im = image_state(image);
  if (im == nullptr) return;
  std::vector<HeapModuleInfo> one{m};
  add_modules(im->process->key, one);
}

void HeapAggregator::add_modules(const HeapProcessKey& key, const std::vector<HeapModuleInfo>& mods) {
  ProcessState& p = process_of(key);
  for (const auto& m : mods) {
    auto pos = std::lower_bound(p.module_ranges.begin(), p.module_ranges.end(),
                                std::make_pair(m.start, uint64_t{0}));
    if (pos != p.module_ranges.end() && pos->first == m.start) continue;
    p.module_ranges.insert(pos, {m.start, m.end});
    store::Module row;
    row.start = m.start;
    row.end = m.end;
    row.file_offset = m.file_offset;
    row.path = m.path;
    row.build_id = m.build_id;
    p.modules.push_back(std::move(row));
  }
}

void HeapAggregator::fork_point(HeapImageId image, uint64_t fork_id) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed) return;
  auto snap = std::make_unique<ForkSnapshot>();
  snap->parent = im->process->key;
  snap->live = im->live;
  for (const auto& [ptr, pend] : im->pending) {
    LiveMap::Block ignored;
    for (const auto& b : pend.displaced) snap->live.insert(ptr, b, &ignored);
  }
  snap->stack_map = im->stack_map;
  snap->mmaps = im->mmaps;
  snap->interval = im->interval;
  forks_[{image, fork_id}] = std::move(snap);
}

void HeapAggregator::watermark(HeapImageId image, uint64_t ts) {
  ImageState* im = image_state(image);
  if (im == nullptr || im->closed) return;
  im->watermark = ts;
  if (im->pending.empty() || ++im->watermarks_seen % 8 != 0) return;
  uint64_t ttl = static_cast<uint64_t>(static_cast<double>(options_.tombstone_ttl_ns) *
                                       (im->tsc ? tsc_per_ns_ : 1.0));
  if (ts < ttl) return;
  uint64_t horizon = ts - ttl;
  for (auto it = im->pending.begin(); it != im->pending.end();) {
    auto& t = it->second.tombstones;
    t.erase(std::remove_if(t.begin(), t.end(), [&](uint64_t f) { return f < horizon; }), t.end());
    // Every event stamped before the watermark has arrived: these pairs are final.
    auto& p = it->second.provisional;
    p.erase(std::remove_if(p.begin(), p.end(),
                           [&](const HeapProvisional& x) { return x.free_ts < ts; }),
            p.end());
    if (it->second.empty()) it = im->pending.erase(it);
    else ++it;
  }
}

void HeapAggregator::status_changed(HeapImageId image, HeapImageStatus status,
                                    std::string_view text) {
  ImageState* im = image_state(image);
  if (im == nullptr) return;
  ProcessState& p = *im->process;
  std::string who = "pid " + std::to_string(p.key.pid) + (p.exe.empty() ? "" : " (" + p.exe + ")");
  switch (status) {
    case HeapImageStatus::kOwnMalloc:
      p.status = "not-interposed: program defines its own malloc";
      p.notices.push_back("cannot interpose malloc in " + who +
                          ": the program defines its own; no allocation data for it");
      break;
    case HeapImageStatus::kOff:
      p.status = "off: " + std::string(text);
      p.notices.push_back("tracking stopped in " + who + ": " + std::string(text));
      break;
    case HeapImageStatus::kRefused:
      p.status = "refused: " + std::string(text);
      p.notices.push_back("no allocation data for " + who + ": " + std::string(text));
      break;
    case HeapImageStatus::kTracking:
      p.notices.push_back(who + ": " + std::string(text));
      break;
  }
  p.row_dirty = true;
}

void HeapAggregator::source_stats(HeapImageId image, const HeapSourceStats& stats) {
  ImageState* im = image_state(image);
  if (im == nullptr) return;
  im->process->stats = stats;
  im->process->row_dirty = true;
}

void HeapAggregator::image_ending(HeapImageId image, HeapEndReason reason) {
  ImageState* im = image_state(image);
  if (im != nullptr) im->end_reason = reason;
}

void HeapAggregator::image_closed(HeapImageId image) {
  ImageState* im = image_state(image);
  if (im == nullptr) return;
  if (!im->closed && im->process->current == im)
    end_image(*im, true, im->end_reason == HeapEndReason::kExec);
  images_.erase(image);
  last_id_ = 0;
  last_image_ = nullptr;
}

void HeapAggregator::end_image(ImageState& im, bool at_exit, bool vanished) {
  ProcessState& p = *im.process;
  im.closed = true;
  auto each_live = [&](auto fn) {
    im.live.for_each([&](uint64_t, const LiveMap::Block& b) { fn(b); });
    for (const auto& [ptr, pend] : im.pending)
      for (const auto& b : pend.displaced) fn(b);
  };
  if (vanished) {
    // exec: the image's memory is gone without being freed.
    each_live([&](const LiveMap::Block& b) {
      double w = weight(im, b.size);
      HeapStackCounters& c = p.counters[b.stack];
      c.live_bytes -= w * static_cast<double>(b.size);
      c.live_blocks -= w;
      p.live_bytes -= w * static_cast<double>(b.size);
      p.live_blocks -= w;
      touch(p, b.stack);
    });
    p.mmap_live = 0;
  } else {
    p.unfreed.clear();
    each_live([&](const LiveMap::Block& b) {
      double w = weight(im, b.size);
      auto& u = p.unfreed[b.stack];
      u.first += w * static_cast<double>(b.size);
      u.second += w;
    });
    p.unfreed_ready = true;
    p.unfreed_reported = false;
    p.unfreed_at_exit = at_exit;
    p.ended = at_exit;
    p.total_pending = true;
  }
  im.live.clear();
  im.pending.clear();
  im.mmaps.clear();
  if (p.current == &im) p.current = nullptr;
}

}  // namespace leakscope::collect
