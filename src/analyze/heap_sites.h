// Which code leaks: heap call sites ranked by how fast their live heap grows in the
// process's sustained window, with the statistics of the process verdict (Theil–Sen slope
// with Sen's interval from the Hamed–Rao-corrected Mann–Kendall variance, on the same
// binned series). A site is one recorded call stack, or with `group function` every stack
// whose allocating function is the same.
//
// The sustained window is the final regime the verdict engine finds on the process's
// live-heap total (after warm-up, steps and earlier phases); when that series is too short
// to judge, the trailing half of the heap-tracked time (see docs/sites.md). Ranking: sites
// whose growth is significant (p below the verdict's alpha and a positive lower bound)
// come first, by rate; the rest follow by live bytes at the end. A one-time startup
// allocation, however large, is flat in the window; a balanced churn site, however busy,
// has no trend; a steady leaker has one.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analyze/series_verdict.h"
#include "base/status.h"
#include "store/heap_reader.h"
#include "store/heap_types.h"

namespace leakscope::analyze {

enum class SiteGrouping { kStack, kFunction };

// Fewest binned live-heap points for which the verdict engine's window is used (with fewer
// than kMinVerdictPoints that is the whole span, unsegmented); with fewer, the trailing
// half of the heap-tracked time.
inline constexpr size_t kMinHeapVerdictBins = 8;
// True when the engine gave the process's live heap a rate: with fewer points it says
// "too few samples" and its rate is not a measurement.
inline bool heap_rate_judged(const SeriesResult& hv) { return hv.bins >= kMinVerdictPoints; }

struct SiteOptions {
  SiteGrouping grouping = SiteGrouping::kStack;
  SeriesParams params;     // confidence, alpha, target_bins: shared with the verdict
  double window_t0 = NAN;  // seconds; both set: use this window instead of the verdict's
  double window_t1 = NAN;
};

struct SiteGrowth {
  double rate = 0;  // live bytes per second in the window (Theil–Sen)
  double ci_lo = 0, ci_hi = 0;
  double p = 1;  // Hamed–Rao-corrected Mann–Kendall, two-sided
  bool growing = false;
  size_t points = 0;  // binned points the trend was computed on
};

struct HeapSite {
  std::string key;                 // "stack 17", or the allocating function
  std::vector<int64_t> stack_ids;  // the stacks in the site, largest live bytes first
  SiteGrowth growth;
  int64_t window_start_bytes = 0;  // live bytes at the window's start and end
  int64_t window_end_bytes = 0;
  int64_t live_bytes = 0;  // at the last tick
  int64_t live_blocks = 0;
  int64_t alloc_bytes = 0;  // cumulative over the process's tracked life
  int64_t alloc_blocks = 0;
  int64_t free_bytes = 0;
  int64_t free_blocks = 0;
  int64_t short_lived_blocks = 0;  // freed soon after allocation (temporary allocations)
  int64_t peak_bytes = 0;          // the site's own highest live bytes
  int64_t peak_contribution = 0;   // its live bytes when the process's heap peaked
  int64_t unfreed_bytes = 0;       // still allocated at exit (or at the end of recording)
  int64_t unfreed_blocks = 0;
  double short_lived_fraction() const {
    return alloc_blocks > 0 ? static_cast<double>(short_lived_blocks) / alloc_blocks : 0;
  }
};

struct ProcessSites {
  store::HeapProcess heap;              // mode, sampling interval, unwinder, status
  bool estimated = false;               // sampled mode: every count is an estimate
  double window_t0 = 0, window_t1 = 0;  // seconds
  std::string window_source;            // how the window was chosen, one clause
  SeriesResult heap_verdict;  // the process's live-heap series as the verdict engine sees it
  double heap_peak_t = 0;     // seconds
  int64_t heap_peak_bytes = 0;
  size_t heap_ticks = 0;      // the peak is over these; with one, it is only that tick's value
  bool unfreed_at_exit = true;  // false: the process was still running when recording ended
  std::vector<HeapSite> sites;  // ranked
};

// The key a stack is grouped under, for SiteGrouping::kFunction.
using GroupKeyFn = std::function<std::string(int64_t stack_id)>;

// The ranking for one process from its rows. `samples` are heap_site_sample rows (each
// stack's rows in time order; a stack's counters hold between its rows and are 0 before
// its first), `totals` its heap_total rows, `unfreed` its heap_unfreed rows. Rows at or
// after `running_until_ms` (the process's exit) describe its teardown, after its own exit
// handlers and destructors freed what they free: they count for "live at end", not for
// the window and the growth rates.
ProcessSites rank_process_sites(const store::HeapProcess& heap,
                                const std::vector<store::HeapSiteSample>& samples,
                                const std::vector<store::HeapTotal>& totals,
                                const std::vector<store::HeapUnfreed>& unfreed,
                                const SiteOptions& options, const GroupKeyFn& group_key = {},
                                int64_t running_until_ms = INT64_MAX);

// Where a process's running time ends for rank_process_sites: its exit minus one recorder
// tick (the recorder sees an exit up to a tick late); INT64_MAX while it was still running.
int64_t running_until_ms(const store::CaptureMeta& meta, int64_t process_id);

// Every process of the capture that has heap data (only `process_ids` when not empty), in
// process order. Function groups are named through the symbols in `heap` (heap_symbols.h).
StatusOr<std::vector<ProcessSites>> rank_capture_sites(store::CaptureReader& reader,
                                                       const store::HeapData& heap,
                                                       const std::vector<int64_t>& process_ids,
                                                       const SiteOptions& options);

}  // namespace leakscope::analyze
