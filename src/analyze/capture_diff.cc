// Comparison of two captures; see capture_diff.h.
#include "analyze/capture_diff.h"

#include <algorithm>
#include <map>

#include "analyze/heap_sites.h"
#include "analyze/heap_symbols.h"
#include "analyze/stats_basic.h"
#include "analyze/verdict.h"
#include "store/heap_reader.h"

namespace leakscope::analyze {
namespace {

struct Side {
  std::string path;
  Verdict verdict;
  std::map<std::string, const ProcessVerdict*> by_key;
  std::map<int64_t, std::string> key_of;  // capture process id -> key
  std::vector<std::string> order;         // keys in order of appearance
};

// Keys that survive a re-run: pids change, names, exec generations and order do not.
void assign_keys(const store::CaptureMeta& meta, Side* side) {
  std::map<std::string, int> seen;
  std::vector<const store::ProcessInfo*> procs;
  for (const auto& p : meta.processes) procs.push_back(&p);
  std::stable_sort(procs.begin(), procs.end(), [](const auto* a, const auto* b) {
    return a->first_seen_ms < b->first_seen_ms;
  });
  for (const auto* p : procs) {
    std::string key;
    if (p->is_root) {
      key = "root";
    } else {
      const auto* g = meta.latest_generation(p->id);
      std::string comm = g ? g->comm : "?";
      int gen = g ? g->generation : 0;
      std::string base = comm + (gen > 0 ? " (exec " + std::to_string(gen) + ")" : "");
      key = base + " #" + std::to_string(++seen[base]);
    }
    side->key_of[p->id] = key;
    side->order.push_back(key);
  }
  for (const auto& pv : side->verdict.processes) side->by_key[side->key_of[pv.process_id]] = &pv;
}

SideRate side_of(const SeriesVerdict* sv) {
  SideRate s;
  if (!sv) return s;
  s.present = true;
  s.state = sv->r.state;
  s.rate = sv->r.rate;
  s.ci_lo = sv->r.ci_lo;
  s.ci_hi = sv->r.ci_hi;
  return s;
}

StatusOr<Side> read_side(const std::string& path, store::CaptureReader& reader) {
  Side side;
  side.path = path;
  AnalyzeOptions o;
  o.capture_path = path;
  ASSIGN_OR_RETURN(side.verdict, analyze_capture(reader, o));
  assign_keys(reader.meta(), &side);
  return side;
}

std::string stack_key(const store::HeapData& heap, int64_t process_id, int64_t stack_id) {
  auto it = heap.stacks.find({process_id, stack_id});
  if (it == heap.stacks.end()) return "stack " + std::to_string(stack_id);
  std::string key;
  size_t frames = 0;
  for (uint64_t pc : it->second) {
    const auto* syms = frames_of(heap, process_id, pc);
    std::vector<std::string> names;
    if (syms && !syms->empty())
      for (auto f = syms->rbegin(); f != syms->rend(); ++f) names.push_back(f->function.empty() ? "?" : f->function);
    else
      names.push_back("?");
    for (const auto& n : names) {
      if (frames++ == 12) return key;
      key += (key.empty() ? "" : " < ") + n;
    }
  }
  return key;
}

struct SiteSide {
  std::map<std::string, SideRate> rates;  // process key + "\n" + stack key
  // Process key -> why it has no heap data (its malloc was never interposed): its sites
  // are unknown there, not absent.
  std::map<std::string, std::string> untracked;
};

StatusOr<SiteSide> read_sites(const std::string& path, store::CaptureReader& reader,
                              const Side& side, std::string* note) {
  SiteSide out;
  auto heap = store::read_heap_data(reader);
  if (!heap.is_ok() || heap->empty()) {
    *note = path + " has no heap data (record with `leakscope run --heap`)";
    return out;
  }
  auto sym = ensure_heap_symbols(path, reader.meta(), &*heap, symbolize::DwarfModuleOptions{});
  if (!sym.is_ok()) return sym.status();
  ASSIGN_OR_RETURN(auto ranked, rank_capture_sites(reader, *heap, {}, SiteOptions{}));
  for (const auto& ps : ranked) {
    auto k = side.key_of.find(ps.heap.process_id);
    std::string pkey = k == side.key_of.end() ? "?" : k->second;
    if (store::never_interposed(ps.heap.status)) {
      out.untracked[pkey] = ps.heap.status;
      continue;
    }
    for (const auto& site : ps.sites) {
      if (site.stack_ids.empty()) continue;
      SideRate s;
      s.present = true;
      s.state = site.growth.growing ? State::kSustainedGrowth : State::kNoGrowth;
      s.rate = site.growth.rate;
      s.ci_lo = site.growth.ci_lo;
      s.ci_hi = site.growth.ci_hi;
      std::string key = pkey + "\n" + stack_key(*heap, ps.heap.process_id, site.stack_ids[0]);
      // Two stacks that symbolise alike (different return addresses, same functions) are
      // one site for the comparison: keep the faster grower.
      auto [it, inserted] = out.rates.emplace(key, s);
      if (!inserted && s.rate > it->second.rate) it->second = s;
    }
  }
  return out;
}

}  // namespace

double two_sample_p(const SideRate& b, const SideRate& a) {
  double z95 = normal_quantile(0.975);
  auto se = [&](const SideRate& s) {
    return std::isfinite(s.ci_lo) && std::isfinite(s.ci_hi) ? (s.ci_hi - s.ci_lo) / (2 * z95) : NAN;
  };
  double sb = se(b), sa = se(a);
  if (!std::isfinite(sb) || !std::isfinite(sa)) return NAN;
  double s = std::sqrt(sb * sb + sa * sa);
  double d = a.rate - b.rate;
  if (s <= 0) return d == 0 ? 1.0 : 0.0;
  return two_sided_p(d / s);
}

void judge_change(RateChange* c, double alpha, double fail_pct) {
  if (!c->before.present || !c->after.present) return;
  c->diff = c->after.rate - c->before.rate;
  c->p = two_sample_p(c->before, c->after);
  c->significant = std::isfinite(c->p) && c->p < alpha;
  bool before_grows = c->before.state == State::kSustainedGrowth && c->before.rate > 0;
  if (before_grows) c->change_pct = 100.0 * c->diff / c->before.rate;
  if (std::isnan(fail_pct)) return;
  bool after_grows = c->after.state == State::kSustainedGrowth;
  c->worse = c->significant && c->diff > 0 && after_grows &&
             (!before_grows || c->change_pct > fail_pct);
}

StatusOr<CaptureDiff> diff_captures(const std::string& base, const std::string& candidate,
                                    const DiffOptions& options) {
  CaptureDiff d;
  d.base = base;
  d.candidate = candidate;
  ASSIGN_OR_RETURN(auto rb, store::CaptureReader::open(base));
  ASSIGN_OR_RETURN(auto rc, store::CaptureReader::open(candidate));
  ASSIGN_OR_RETURN(Side sb, read_side(base, rb));
  ASSIGN_OR_RETURN(Side sc, read_side(candidate, rc));

  std::vector<std::string> keys = sb.order;
  for (const auto& k : sc.order)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  for (const auto& key : keys) {
    auto ib = sb.by_key.find(key);
    auto ic = sc.by_key.find(key);
    const ProcessVerdict* pb = ib == sb.by_key.end() ? nullptr : ib->second;
    const ProcessVerdict* pc = ic == sc.by_key.end() ? nullptr : ic->second;
    if (!pb && !pc) continue;
    ProcessDiff pd;
    pd.key = key;
    if (pb) {
      pd.comm_before = pb->comm;
      pd.pid_before = pb->pid;
    }
    if (pc) {
      pd.comm_after = pc->comm;
      pd.pid_after = pc->pid;
    }
    std::vector<std::string> names = options.series;
    if (names.empty()) {
      names.push_back("anon");
      for (const auto* p : {pb, pc})
        if (p)
          for (const auto& sv : p->series)
            if (sv.r.state == State::kSustainedGrowth &&
                std::find(names.begin(), names.end(), sv.r.name) == names.end())
              names.push_back(sv.r.name);
    }
    for (const auto& name : names) {
      SeriesChange sc_;
      sc_.series = name;
      sc_.change.before = side_of(pb ? pb->find(name) : nullptr);
      sc_.change.after = side_of(pc ? pc->find(name) : nullptr);
      if (!sc_.change.before.present && !sc_.change.after.present) continue;
      judge_change(&sc_.change, options.alpha, options.fail_if_worse_pct);
      d.any_worse = d.any_worse || sc_.change.worse;
      pd.series.push_back(sc_);
    }
    d.processes.push_back(pd);
  }

  std::string note_b, note_c;
  ASSIGN_OR_RETURN(SiteSide hb, read_sites(base, rb, sb, &note_b));
  ASSIGN_OR_RETURN(SiteSide hc, read_sites(candidate, rc, sc, &note_c));
  d.heap_note = !note_b.empty() ? note_b : note_c;
  d.heap_compared = d.heap_note.empty();
  if (d.heap_compared) {
    for (const auto& [side, path] : {std::pair{&hb, base}, std::pair{&hc, candidate}})
      for (const auto& [pkey, why] : side->untracked)
        d.heap_uncompared.push_back(pkey + ": no heap data in " + path + " (" + why + ")");
    std::map<std::string, SiteDiff> sites;
    for (const auto* side : {&hb, &hc})
      for (const auto& [key, rate] : side->rates) {
        size_t nl = key.find('\n');
        std::string pkey = key.substr(0, nl);
        if (hb.untracked.count(pkey) || hc.untracked.count(pkey)) continue;
        SiteDiff& s = sites[key];
        s.process_key = pkey;
        s.stack = key.substr(nl + 1);
        (side == &hb ? s.change.before : s.change.after) = rate;
      }
    for (auto& [key, s] : sites) {
      // A site missing on one side allocated nothing there: it did not grow.
      for (SideRate* r : {&s.change.before, &s.change.after})
        if (!r->present) *r = SideRate{true, State::kNoGrowth, 0, 0, 0};
      judge_change(&s.change, options.alpha, options.fail_if_worse_pct);
      bool interesting = s.change.significant || s.change.before.state == State::kSustainedGrowth ||
                         s.change.after.state == State::kSustainedGrowth;
      if (interesting) d.sites.push_back(s);
    }
    std::stable_sort(d.sites.begin(), d.sites.end(), [](const SiteDiff& a, const SiteDiff& b) {
      return std::fabs(a.change.diff) > std::fabs(b.change.diff);
    });
    if (d.sites.size() > options.max_sites) d.sites.resize(options.max_sites);
  }
  return d;
}

}  // namespace leakscope::analyze
