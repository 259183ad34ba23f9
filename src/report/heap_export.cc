// pprof and folded exports of the heap data; see heap_export.h.
#include "report/heap_export.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "analyze/heap_sites.h"
#include "analyze/heap_symbols.h"
#include "report/heap_stacks.h"
#include "report/pprof_writer.h"

namespace leakscope::report {
namespace {

// One recorded stack of one process with its numbers.
struct StackValues {
  int64_t process_id = 0;
  int64_t stack_id = 0;
  int64_t alloc_blocks = 0, alloc_bytes = 0, live_blocks = 0, live_bytes = 0;
  int64_t unfreed_bytes = 0, growth_bytes = 0;
};

struct ExportData {
  store::HeapData heap;
  std::vector<StackValues> stacks;
};

StatusOr<ExportData> load(store::CaptureReader& reader, const HeapExportOptions& options) {
  ExportData d;
  ASSIGN_OR_RETURN(d.heap, analyze::read_heap_or_explain(reader, options.capture_path));
  symbolize::DwarfModuleOptions sym;
  for (const auto& dir : options.debug_dirs) sym.debug_dirs.push_back(dir);
  ASSIGN_OR_RETURN(auto report,
                   analyze::ensure_heap_symbols(options.capture_path, reader.meta(), &d.heap, sym));
  for (const auto& p : report.problems) std::fprintf(stderr, "leakscope: warning: %s\n", p.c_str());
  if (!report.cached) std::fprintf(stderr, "leakscope: note: %s\n", report.cache_note.c_str());
  ASSIGN_OR_RETURN(auto processes, analyze::rank_capture_sites(reader, d.heap, {}, {}));
  for (const auto& p : processes) {
    double window = p.window_t1 - p.window_t0;
    for (const auto& s : p.sites) {
      if (s.stack_ids.size() != 1) continue;  // stack grouping: one stack per site
      StackValues v;
      v.process_id = p.heap.process_id;
      v.stack_id = s.stack_ids.front();
      v.alloc_blocks = s.alloc_blocks;
      v.alloc_bytes = s.alloc_bytes;
      v.live_blocks = s.live_blocks;
      v.live_bytes = s.live_bytes;
      v.unfreed_bytes = s.unfreed_bytes;
      if (s.growth.growing) v.growth_bytes = std::llround(s.growth.rate * window);
      d.stacks.push_back(v);
    }
  }
  std::sort(d.stacks.begin(), d.stacks.end(), [](const auto& a, const auto& b) {
    return std::tie(a.process_id, a.stack_id) < std::tie(b.process_id, b.stack_id);
  });
  return d;
}

std::string process_name(const store::CaptureMeta& meta, int64_t process_id) {
  const auto* g = meta.latest_generation(process_id);
  return g != nullptr && !g->comm.empty() ? g->comm : "process";
}

int32_t process_pid(const store::CaptureMeta& meta, int64_t process_id) {
  const auto* p = meta.find_process(process_id);
  return p != nullptr ? p->pid : 0;
}

Status write_pprof(store::CaptureReader& reader, const ExportData& d,
                   const HeapExportOptions& options, std::ostream& out) {
  const auto& meta = reader.meta();
  PprofBuilder b;
  b.add_sample_type("alloc_objects", "count");
  b.add_sample_type("alloc_space", "bytes");
  b.add_sample_type("inuse_objects", "count");
  b.add_sample_type("inuse_space", "bytes");
  b.add_sample_type("growth", "bytes");
  b.set_default_sample_type("inuse_space");
  int64_t interval = 0;
  for (const auto& hp : d.heap.processes) interval = std::max(interval, hp.sample_interval);
  b.set_period("space", "bytes", interval);
  int64_t end_ms = std::max<int64_t>(meta.run.end_ms, 0);
  b.set_time(meta.run.start_unix_ns, end_ms * 1000000);
  b.add_comment("leakscope heap export of " + options.capture_path);
  b.add_comment(
      "growth: live bytes gained in the sustained window by sites whose growth is "
      "significant (see `leakscope sites`)");

  // Mappings per process, in address order, to place locations.
  std::map<int64_t, std::vector<std::pair<store::Module, uint64_t>>> mappings;
  for (const auto& m : d.heap.modules)
    mappings[m.process_id].emplace_back(
        m, b.add_mapping({m.start, m.end, m.file_offset, m.path, m.build_id, true}));
  std::map<std::pair<int64_t, uint64_t>, uint64_t> locations;
  auto location_for = [&](int64_t process_id, uint64_t pc) {
    auto key = std::make_pair(process_id, pc);
    auto it = locations.find(key);
    if (it != locations.end()) return it->second;
    uint64_t mapping_id = 0;
    for (const auto& [m, id] : mappings[process_id])
      if (pc >= m.start && pc < m.end) mapping_id = id;
    std::vector<PprofLine> lines;
    if (const auto* frames = analyze::frames_of(d.heap, process_id, pc))
      for (auto f = frames->rbegin(); f != frames->rend(); ++f)
        lines.push_back({f->function, f->file, f->line});
    uint64_t id = b.add_location(mapping_id, pc, lines);
    locations.emplace(key, id);
    return id;
  };
  for (const auto& s : d.stacks) {
    auto it = d.heap.stacks.find({s.process_id, s.stack_id});
    if (it == d.heap.stacks.end()) continue;
    std::vector<uint64_t> ids;
    for (uint64_t pc : it->second) ids.push_back(location_for(s.process_id, pc));
    b.add_sample(ids, {s.alloc_blocks, s.alloc_bytes, s.live_blocks, s.live_bytes, s.growth_bytes},
                 {{"pid", "", process_pid(meta, s.process_id)},
                  {"comm", process_name(meta, s.process_id), 0}});
  }
  ASSIGN_OR_RETURN(std::string gz, gzip_compress(b.serialize()));
  out.write(gz.data(), static_cast<std::streamsize>(gz.size()));
  return Status::ok();
}

// flamegraph.pl splits frames on ';' and the value off at the last space.
std::string folded_name(std::string s) {
  for (char& c : s)
    if (c == ';' || c == '\n' || c == '\r') c = ':';
  return s;
}

Status write_folded(store::CaptureReader& reader, const ExportData& d,
                    const HeapExportOptions& options, std::ostream& out) {
  const auto& meta = reader.meta();
  for (const auto& s : d.stacks) {
    int64_t value = options.value == "alloc"     ? s.alloc_bytes
                    : options.value == "unfreed" ? s.unfreed_bytes
                    : options.value == "growth"  ? s.growth_bytes
                                                 : s.live_bytes;
    if (value <= 0) continue;
    auto frames = stack_frames(d.heap, s.process_id, s.stack_id);
    std::string line = folded_name(process_name(meta, s.process_id)) + " (" +
                       std::to_string(process_pid(meta, s.process_id)) + ")";
    // Root first; inlined frames carry flamegraph.pl's "_[i]" annotation.
    for (auto f = frames.rbegin(); f != frames.rend(); ++f)
      line += ";" + folded_name(f->label()) + (f->inlined ? "_[i]" : "");
    out << line << ' ' << value << '\n';
  }
  return Status::ok();
}

}  // namespace

bool is_heap_export_format(const std::string& format) {
  return format == "pprof" || format == "folded";
}

Status export_heap(store::CaptureReader& reader, const HeapExportOptions& options,
                   std::ostream& out) {
  if (options.value != "live" && options.value != "alloc" && options.value != "unfreed" &&
      options.value != "growth")
    return Status(StatusCode::kInvalidArgument, "unknown --value '" + options.value + "'", "",
                  "use live, alloc, unfreed or growth");
  ASSIGN_OR_RETURN(ExportData d, load(reader, options));
  if (options.format == "pprof") return write_pprof(reader, d, options, out);
  if (options.format == "folded") return write_folded(reader, d, options, out);
  return Status(StatusCode::kInvalidArgument, "unknown heap export format '" + options.format + "'",
                "", "use pprof or folded");
}

}  // namespace leakscope::report
