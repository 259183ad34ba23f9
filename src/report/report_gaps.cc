// "What this capture cannot show": the limits of the data, said plainly so that a reader
// does not take silence for absence. Each entry names the cause and, where there is one,
// how to record a capture that can show it.
#include <fmt/format.h>

#include <set>

#include "base/strings.h"
#include "report/report_build.h"

namespace leakscope::report {
namespace {

std::string who(const store::CaptureMeta& meta, int64_t process_id, Redactor& redactor) {
  const auto* p = meta.find_process(process_id);
  const auto* g = meta.latest_generation(process_id);
  return fmt::format("pid {} ({})", p ? p->pid : 0, g ? redactor.apply(g->comm) : "?");
}

}  // namespace

Status add_cannot_show(store::CaptureReader& reader, Redactor& redactor, ReportModel* m) {
  const store::CaptureMeta& meta = reader.meta();
  auto& out = m->cannot_show;
  if (m->heap.empty()) {
    out.push_back("No heap data: this capture was recorded without `--heap`, so it cannot say "
                  "which code allocates the growing memory (no call sites, no flame graphs). "
                  "Record with `leakscope run --heap -- ...` to see them.");
  }
  for (const auto& h : m->heap) {
    if (h.estimated)
      out.push_back(fmt::format(
          "pid {} ({}): heap tracking was sampled (one sample per {} allocated, on average), so "
          "every heap count is an estimate and small sites may be missing.",
          h.pid, h.comm, format_bytes(static_cast<double>(h.sample_interval))));
    if (h.status != "tracking")
      out.push_back(fmt::format("pid {} ({}): heap tracking status \"{}\".", h.pid, h.comm, h.status));
    if (h.lost_events > 0)
      out.push_back(fmt::format("pid {} ({}): {} heap events were lost; its heap counts are low.",
                                h.pid, h.comm, h.lost_events));
  }
  ASSIGN_OR_RETURN(int64_t details, reader.db().query_int("SELECT COUNT(*) FROM detail"));
  if (details == 0)
    out.push_back("No PSS (recorded with --no-detail, or smaps_rollup was unreadable): process "
                  "totals are RSS, which counts pages shared between processes in each of them.");
  if (meta.run.end_ms < 0)
    out.push_back(fmt::format(
        "The recording did not finish (leakscope was stopped before it closed the capture): the "
        "data ends at {:.1f} s, the last second may be missing and exit states are unknown.",
        m->duration_s));
  if (meta.run.mode == "attach")
    out.push_back("Recorded by attaching to running processes: what grew before the recording "
                  "started, and their start-up, is not in the capture.");
  std::set<int64_t> unreadable;
  for (const auto& n : meta.notes)
    if (n.kind == "permission" && n.process_id >= 0 && unreadable.insert(n.process_id).second)
      out.push_back(fmt::format("{} could not be read: {}", who(meta, n.process_id, redactor),
                                redactor.apply(n.text)));
  for (const auto& p : meta.processes)
    if (p.end_state == "unreadable" && unreadable.insert(p.id).second)
      out.push_back(who(meta, p.id, redactor) + " could not be read (permission): its series are "
                                                "missing or partial.");
  for (const auto& n : meta.notes)
    if (n.kind == "fallback" || n.kind == "overhead")
      out.push_back(redactor.apply(n.text));
  std::set<std::string> settling;
  for (const auto& p : m->verdict.processes)
    for (const auto& sv : p.series)
      if (sv.r.state == analyze::State::kSettling) settling.insert(sv.r.name);
  if (!settling.empty()) {
    std::string names;
    for (const auto& s : settling) names += (names.empty() ? "" : ", ") + s;
    out.push_back("Some series are still settling (" + names + "): this recording is too short "
                  "to tell whether they keep growing; record longer.");
  }
  out.push_back(fmt::format(
      "Memory is read every {} ms (PSS at most every {} ms): memory allocated and freed between "
      "two readings is not seen, and a process that lived less than one tick may be missing.",
      meta.run.tick_ms, meta.run.detail_min_ms));
  return Status::ok();
}

}  // namespace leakscope::report
