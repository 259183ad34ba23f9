// The capture as a Chrome Trace Event Format file (opens in the Perfetto UI and
// chrome://tracing): per process a process_name metadata event and one counter track per
// series ("C" events, one value each), and the phase marks as global instant events
// ("i", scope "g"). Counters hold their value until the next event, so repeated values are
// left out (lossless), which keeps hour-long captures loadable. Written as a stream: the
// trace of a large capture never sits in memory whole.
#include "report/chrome_trace.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "report/redact_capture.h"
#include "store/heap_reader.h"
#include "store/series_reader.h"

namespace leakscope::report {
namespace {

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct Writer {
  OutputFile* out;
  bool first = true;
  Status event(const std::string& json) {
    RETURN_IF_ERROR(out->write(first ? "\n" : ",\n"));
    first = false;
    return out->write(json);
  }
};

// One counter track: a "C" event whenever the value changes, and the last point.
Status counter(Writer& w, int64_t pid, const char* name, const char* unit,
               const std::vector<int64_t>& t_ms, const std::vector<int64_t>& v) {
  int64_t last = -1;
  size_t end = 0;
  for (size_t i = 0; i < t_ms.size(); ++i)
    if (v[i] >= 0) end = i;
  for (size_t i = 0; i < t_ms.size(); ++i) {
    if (v[i] < 0 || (v[i] == last && i != end)) continue;
    RETURN_IF_ERROR(w.event(fmt::format(
        R"({{"name":"{}","ph":"C","ts":{},"pid":{},"tid":0,"args":{{"{}":{}}}}})", name,
        t_ms[i] * 1000, pid, unit, v[i])));
    last = v[i];
  }
  return Status::ok();
}

}  // namespace

Status write_chrome_trace(store::CaptureReader& reader, Redactor& redactor, OutputFile* out) {
  const store::CaptureMeta& meta = reader.meta();
  Writer w{out};
  RETURN_IF_ERROR(out->write("{\"displayTimeUnit\":\"ms\",\"otherData\":"));
  nlohmann::json other = {{"producer", "leakscope " LEAKSCOPE_VERSION},
                          {"command", redactor.apply(meta.run.command)},
                          {"host", redactor.apply(meta.run.host)},
                          {"start_unix_ns", meta.run.start_unix_ns},
                          {"redacted", redactor.enabled()},
                          {"time_zero", "ts 0 is the first sample of the recording"}};
  RETURN_IF_ERROR(out->write(other.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  RETURN_IF_ERROR(out->write(",\"traceEvents\":["));

  // Trace pids are the OS pids; a pid reused within the capture gets a distinct number.
  std::set<int64_t> used;
  std::map<int64_t, int64_t> trace_pid;
  for (const auto& p : meta.processes) {
    int64_t tp = p.pid;
    if (!used.insert(tp).second) {
      tp = 10000000 + p.id;
      used.insert(tp);
    }
    trace_pid[p.id] = tp;
  }
  int sort_index = 0;
  for (const auto& p : meta.processes) {
    const auto* g = meta.latest_generation(p.id);
    std::string name = (g ? redactor.apply(g->comm) : std::string("?")) + " (pid " +
                       std::to_string(p.pid) + ")";
    int64_t tp = trace_pid[p.id];
    RETURN_IF_ERROR(w.event(fmt::format(
        R"({{"name":"process_name","ph":"M","pid":{},"tid":0,"args":{{"name":{}}}}})", tp,
        json_string(name))));
    if (g && !g->cmdline.empty())
      RETURN_IF_ERROR(w.event(fmt::format(
          R"({{"name":"process_labels","ph":"M","pid":{},"tid":0,"args":{{"labels":{}}}}})", tp,
          json_string(redactor.apply(g->cmdline)))));
    RETURN_IF_ERROR(w.event(fmt::format(
        R"({{"name":"process_sort_index","ph":"M","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
        tp, sort_index++)));
  }

  for (const auto& p : meta.processes) {
    int64_t tp = trace_pid[p.id];
    ASSIGN_OR_RETURN(auto s, store::read_sample_columns(reader.db(), p.id, INT64_MAX));
    ASSIGN_OR_RETURN(auto d, store::read_detail_columns(reader.db(), p.id, INT64_MAX));
    RETURN_IF_ERROR(counter(w, tp, "rss", "bytes", s.t_ms, s.rss));
    RETURN_IF_ERROR(counter(w, tp, "rss_anon", "bytes", s.t_ms, s.rss_anon));
    RETURN_IF_ERROR(counter(w, tp, "rss_file", "bytes", s.t_ms, s.rss_file));
    RETURN_IF_ERROR(counter(w, tp, "rss_shmem", "bytes", s.t_ms, s.rss_shmem));
    RETURN_IF_ERROR(counter(w, tp, "swap", "bytes", s.t_ms, s.vm_swap));
    RETURN_IF_ERROR(counter(w, tp, "pss", "bytes", d.t_ms, d.pss));
    RETURN_IF_ERROR(counter(w, tp, "fds", "count", s.t_ms, s.fds));
    RETURN_IF_ERROR(counter(w, tp, "threads", "count", s.t_ms, s.threads));
    ASSIGN_OR_RETURN(auto totals, store::read_heap_totals(reader, p.id));
    if (!totals.empty()) {
      std::vector<int64_t> t, live;
      for (const auto& h : totals) {
        t.push_back(h.t_ms);
        live.push_back(h.live_bytes);
      }
      RETURN_IF_ERROR(counter(w, tp, "heap_live", "bytes", t, live));
    }
  }

  int64_t root = meta.processes.empty() ? 0 : trace_pid[meta.processes.front().id];
  for (const auto& p : meta.processes)
    if (p.is_root) root = trace_pid[p.id];
  for (const auto& m : meta.marks) {
    nlohmann::json args = {{"source", m.source}};
    if (!m.text.empty()) args["text"] = redactor.apply(m.text);
    RETURN_IF_ERROR(w.event(fmt::format(
        R"({{"name":{},"cat":"phase","ph":"i","s":"g","ts":{},"pid":{},"tid":0,"args":{}}})",
        json_string(redactor.apply(m.label)), m.t_ms * 1000, root,
        args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))));
  }
  RETURN_IF_ERROR(out->write("\n]}\n"));
  return Status::ok();
}

}  // namespace leakscope::report
