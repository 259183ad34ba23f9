// Series extraction; see series_extract.h.
#include "analyze/series_extract.h"

#include <cmath>

namespace leakscope::analyze {
namespace {

size_t count_valid(const std::vector<int64_t>& v) {
  size_t n = 0;
  for (int64_t x : v) n += x >= 0;
  return n;
}

Series make_series(const char* name, const char* source, SeriesKind kind,
                   const std::vector<int64_t>& t_ms, const std::vector<int64_t>& v) {
  Series s;
  s.name = name;
  s.source = source;
  s.kind = kind;
  s.t.reserve(t_ms.size());
  s.v.reserve(t_ms.size());
  for (size_t i = 0; i < t_ms.size(); ++i) {
    if (v[i] < 0) continue;
    s.t.push_back(static_cast<double>(t_ms[i]) / 1000.0);
    s.v.push_back(static_cast<double>(v[i]));
  }
  return s;
}

struct Choice {
  const char* source;
  const std::vector<int64_t>* t;
  const std::vector<int64_t>* v;
};

// The first column with values in at least half the rows wins (PSS before RSS, where PSS
// is the point even though it is read less often).
Series first_available(const char* name, std::initializer_list<Choice> choices) {
  for (const Choice& c : choices)
    if (!c.v->empty() && count_valid(*c.v) * 2 >= c.v->size())
      return make_series(name, c.source, SeriesKind::kBytes, *c.t, *c.v);
  Series s;
  s.name = name;
  return s;
}

// The column with the most values wins, the earlier on a tie: the cheap tier is dense (its
// RssFile and RssShmem come from /proc/PID/status, every 5th tick: still several times
// the detailed tier's readings, which a 14 s run judged "too few samples"), the detailed
// tier the fallback on kernels whose status lacks RssAnon & co.
Series densest_available(const char* name, std::initializer_list<Choice> choices) {
  const Choice* best = nullptr;
  size_t best_count = 0;
  for (const Choice& c : choices) {
    size_t n = count_valid(*c.v);
    if (n > best_count) {
      best = &c;
      best_count = n;
    }
  }
  if (best != nullptr)
    return make_series(name, best->source, SeriesKind::kBytes, *best->t, *best->v);
  Series s;
  s.name = name;
  return s;
}

// Adds the values of (t, v) to `acc` on the grid, each held until the next reading, from
// the first reading to `until_s`.
void hold_add(const std::vector<int64_t>& t_ms, const std::vector<int64_t>& v, double step,
              double until_s, std::vector<double>* acc, std::vector<bool>* covered) {
  size_t j = 0;
  int64_t current = -1;
  for (size_t k = 0; k < acc->size(); ++k) {
    double t = static_cast<double>(k) * step;
    if (t > until_s) break;
    while (j < t_ms.size() && static_cast<double>(t_ms[j]) / 1000.0 <= t) {
      if (v[j] >= 0) current = v[j];
      ++j;
    }
    if (current < 0) continue;
    (*acc)[k] += static_cast<double>(current);
    if (covered) (*covered)[k] = true;
  }
}

// PSS at every cheap-tier time: the cheap value minus the shared-page discount (cheap
// value - PSS) measured at the latest PSS reading (the first one before any). PSS is read
// every few seconds at best; this keeps its accounting and the cheap tier's density.
std::vector<int64_t> dense_pss(const std::vector<int64_t>& t_ms, const std::vector<int64_t>& cheap,
                               const std::vector<int64_t>& d_t, const std::vector<int64_t>& pss) {
  std::vector<int64_t> out(t_ms.size(), -1);
  size_t j = 0, k = 0;
  int64_t discount = 0;
  bool have = false;
  // The discount of the first valid reading, for the times before it.
  for (size_t q = 0; q < d_t.size() && !have; ++q) {
    if (pss[q] < 0) continue;
    while (k + 1 < t_ms.size() && t_ms[k + 1] <= d_t[q]) ++k;
    if (k < cheap.size() && cheap[k] >= 0) {
      discount = cheap[k] - pss[q];
      have = true;
    }
  }
  if (!have) return out;
  k = 0;
  for (size_t i = 0; i < t_ms.size(); ++i) {
    while (j < d_t.size() && d_t[j] <= t_ms[i]) {
      if (pss[j] >= 0) {
        while (k + 1 <= i && t_ms[k + 1] <= d_t[j]) ++k;
        if (cheap[k] >= 0) discount = cheap[k] - pss[j];
      }
      ++j;
    }
    if (cheap[i] >= 0) out[i] = std::max<int64_t>(0, cheap[i] - discount);
  }
  return out;
}

}  // namespace

std::vector<Series> process_series(const store::SampleColumns& s, const store::DetailColumns& d) {
  std::vector<Series> out;
  out.push_back(densest_available("anon", {{"RssAnon", &s.t_ms, &s.rss_anon},
                                         {"Pss_Anon", &d.t_ms, &d.pss_anon},
                                         {"Private_Dirty", &d.t_ms, &d.private_dirty}}));
  out.push_back(densest_available("file", {{"RssFile", &s.t_ms, &s.rss_file},
                                         {"Pss_File", &d.t_ms, &d.pss_file}}));
  out.push_back(densest_available("shmem", {{"RssShmem", &s.t_ms, &s.rss_shmem},
                                          {"Pss_Shmem", &d.t_ms, &d.pss_shmem}}));
  out.push_back(densest_available("swap", {{"VmSwap", &s.t_ms, &s.vm_swap},
                                         {"SwapPss", &d.t_ms, &d.swap_pss}}));
  out.push_back(make_series("fds", "fd count", SeriesKind::kCount, s.t_ms, s.fds));
  out.push_back(make_series("threads", "num_threads", SeriesKind::kCount, s.t_ms, s.threads));
  std::vector<Series> kept;
  for (auto& x : out)
    if (!x.empty()) kept.push_back(std::move(x));
  return kept;
}

Series process_memory_series(const store::SampleColumns& s, const store::DetailColumns& d) {
  return first_available("memory", {{"Pss", &d.t_ms, &d.pss}, {"Rss", &s.t_ms, &s.rss}});
}

TreeAccumulator::TreeAccumulator(double t_end_s, double step_s)
    : step_(step_s), n_(static_cast<size_t>(std::floor(t_end_s / step_s)) + 1) {
  for (auto* v : {&pss_, &anon_, &file_, &shmem_, &swap_, &fds_, &threads_, &rss_, &rss_anon_,
                  &rss_file_, &rss_shmem_})
    v->assign(n_, 0.0);
  covered_.assign(n_, false);
}

void TreeAccumulator::add(const store::SampleColumns& s, const store::DetailColumns& d,
                          double exit_s) {
  double until = exit_s >= 0 ? exit_s - 1e-9 : 1e300;
  if (count_valid(d.pss) > 0) {
    any_pss_ = true;
    hold_add(s.t_ms, dense_pss(s.t_ms, s.rss, d.t_ms, d.pss), step_, until, &pss_, &covered_);
    hold_add(s.t_ms, dense_pss(s.t_ms, s.rss_anon, d.t_ms, d.pss_anon), step_, until, &anon_, nullptr);
    hold_add(s.t_ms, dense_pss(s.t_ms, s.rss_file, d.t_ms, d.pss_file), step_, until, &file_, nullptr);
    hold_add(s.t_ms, dense_pss(s.t_ms, s.rss_shmem, d.t_ms, d.pss_shmem), step_, until, &shmem_,
             nullptr);
    hold_add(s.t_ms, dense_pss(s.t_ms, s.vm_swap, d.t_ms, d.swap_pss), step_, until, &swap_, nullptr);
  }
  hold_add(s.t_ms, s.rss, step_, until, &rss_, any_pss_ ? nullptr : &covered_);
  hold_add(s.t_ms, s.rss_anon, step_, until, &rss_anon_, nullptr);
  hold_add(s.t_ms, s.rss_file, step_, until, &rss_file_, nullptr);
  hold_add(s.t_ms, s.rss_shmem, step_, until, &rss_shmem_, nullptr);
  hold_add(s.t_ms, s.fds, step_, until, &fds_, nullptr);
  hold_add(s.t_ms, s.threads, step_, until, &threads_, nullptr);
}

std::vector<Series> TreeAccumulator::series() const {
  auto make = [&](const char* name, const char* source, SeriesKind kind,
                  const std::vector<double>& v) {
    Series s;
    s.name = name;
    s.source = source;
    s.kind = kind;
    for (size_t k = 0; k < n_; ++k) {
      if (!covered_[k]) continue;
      s.t.push_back(static_cast<double>(k) * step_);
      s.v.push_back(v[k]);
    }
    return s;
  };
  std::vector<Series> out;
  if (any_pss_) {
    out.push_back(make("pss", "sum of Pss", SeriesKind::kBytes, pss_));
    out.push_back(make("anon", "sum of Pss_Anon", SeriesKind::kBytes, anon_));
    out.push_back(make("file", "sum of Pss_File", SeriesKind::kBytes, file_));
    out.push_back(make("shmem", "sum of Pss_Shmem", SeriesKind::kBytes, shmem_));
    out.push_back(make("swap", "sum of SwapPss", SeriesKind::kBytes, swap_));
  } else {
    const char* note = " (no PSS recorded: shared pages may count twice)";
    out.push_back(make("pss", (std::string("sum of Rss") + note).c_str(), SeriesKind::kBytes, rss_));
    out.push_back(make("anon", (std::string("sum of RssAnon") + note).c_str(), SeriesKind::kBytes,
                       rss_anon_));
    out.push_back(make("file", "sum of RssFile", SeriesKind::kBytes, rss_file_));
    out.push_back(make("shmem", "sum of RssShmem", SeriesKind::kBytes, rss_shmem_));
  }
  out.push_back(make("fds", "sum of fd counts", SeriesKind::kCount, fds_));
  out.push_back(make("threads", "sum of num_threads", SeriesKind::kCount, threads_));
  return out;
}

}  // namespace leakscope::analyze
