// Symbolise-on-first-use for heap stacks; see heap_symbols.h.
#include "analyze/heap_symbols.h"

#include <algorithm>
#include <map>
#include <set>

#include "store/sqlite_db.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyze {
namespace {

using ModuleMaps = std::map<int64_t, std::vector<symbolize::MappedFile>>;

ModuleMaps maps_by_process(const store::HeapData& heap) {
  ModuleMaps out;
  for (const auto& m : heap.modules)
    out[m.process_id].push_back({m.start, m.end, m.file_offset, m.path, m.build_id});
  for (auto& [id, maps] : out)
    std::sort(maps.begin(), maps.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });
  return out;
}

const std::vector<symbolize::MappedFile>* maps_for(const ModuleMaps& maps,
                                                   const store::CaptureMeta& meta,
                                                   int64_t process_id) {
  // A forked child runs its parent's image until it execs; follow parents a few levels.
  for (int hops = 0; hops < 64 && process_id >= 0; ++hops) {
    auto it = maps.find(process_id);
    if (it != maps.end()) return &it->second;
    const store::ProcessInfo* p = meta.find_process(process_id);
    if (p == nullptr) break;
    process_id = p->parent_id;
  }
  return nullptr;
}

// Writes the new rows in one transaction; a failure leaves the capture as it was.
Status write_symbols(const std::string& path, const std::vector<store::FrameSymbol>& rows) {
  ASSIGN_OR_RETURN(store::Database db, store::Database::open(path, SQLITE_OPEN_READWRITE));
  if (sqlite3_db_readonly(db.get(), "main") == 1)
    return Status(StatusCode::kPermissionDenied, "capture is read-only");
  sqlite3_busy_timeout(db.get(), 5000);
  RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  auto insert = db.prepare(
      "INSERT OR REPLACE INTO frame_symbol(process_id, pc, inline_depth, function, file, line,"
      " module) VALUES (?,?,?,?,?,?,?)");
  if (!insert.is_ok()) {
    (void)db.exec("ROLLBACK");
    return insert.status();
  }
  for (const auto& f : rows) {
    auto& st = *insert;
    st.bind(1, f.process_id).bind(2, static_cast<int64_t>(f.pc));
    st.bind(3, static_cast<int64_t>(f.inline_depth)).bind(4, std::string_view(f.function));
    st.bind(5, std::string_view(f.file)).bind(6, f.line).bind(7, std::string_view(f.module));
    Status s = st.run();
    if (!s.is_ok()) {
      (void)db.exec("ROLLBACK");
      return s;
    }
  }
  return db.exec("COMMIT");
}

}  // namespace

StatusOr<store::HeapData> read_heap_or_explain(store::CaptureReader& reader,
                                               const std::string& capture_path) {
  ASSIGN_OR_RETURN(store::HeapData heap, store::read_heap_data(reader));
  if (heap.empty())
    return Status(StatusCode::kInvalidArgument, capture_path + " has no heap data",
                  "recorded without --heap", "record with `leakscope run --heap`");
  return heap;
}

StatusOr<SymbolCacheReport> ensure_heap_symbols(const std::string& capture_path,
                                                const store::CaptureMeta& meta,
                                                store::HeapData* heap,
                                                const symbolize::DwarfModuleOptions& options) {
  SymbolCacheReport report;
  std::set<std::pair<int64_t, uint64_t>> wanted;
  for (const auto& [key, pcs] : heap->stacks)
    for (uint64_t pc : pcs) wanted.emplace(key.first, pc);
  report.pcs = wanted.size();

  ModuleMaps maps = maps_by_process(*heap);
  symbolize::Symbolizer symbolizer(options);
  const std::vector<symbolize::MappedFile> no_maps;
  std::vector<store::FrameSymbol> rows;
  for (const auto& [process_id, pc] : wanted) {
    if (heap->symbols.count({process_id, pc}) != 0) continue;
    const auto* pmaps = maps_for(maps, meta, process_id);
    symbolize::PcSymbols s =
        symbolizer.symbolize_return_address(pmaps != nullptr ? *pmaps : no_maps, pc);
    ++report.new_pcs;
    if (!s.symbolised) ++report.unsymbolised;
    auto& dest = heap->symbols[{process_id, pc}];
    for (size_t i = 0; i < s.frames.size(); ++i) {
      store::FrameSymbol f;
      f.process_id = process_id;
      f.pc = pc;
      f.inline_depth = static_cast<int>(i);
      f.function = s.frames[i].function;
      f.file = s.frames[i].file;
      f.line = s.frames[i].line;
      f.module = s.module;
      dest.push_back(f);
      rows.push_back(std::move(f));
    }
  }
  report.problems = symbolizer.problems();
  if (rows.empty()) return report;
  Status written = write_symbols(capture_path, rows);
  if (!written.is_ok()) {
    report.cached = false;
    report.cache_note = "symbols not cached in the capture (" + written.message() + ")";
  }
  return report;
}

const std::vector<store::FrameSymbol>* frames_of(const store::HeapData& heap, int64_t process_id,
                                                 uint64_t pc) {
  auto it = heap.symbols.find({process_id, pc});
  return it == heap.symbols.end() ? nullptr : &it->second;
}

std::string allocating_function(const store::HeapData& heap, int64_t process_id, int64_t stack_id) {
  auto it = heap.stacks.find({process_id, stack_id});
  if (it == heap.stacks.end() || it->second.empty()) return "[unknown stack]";
  uint64_t pc = it->second.front();
  const auto* frames = frames_of(heap, process_id, pc);
  if (frames == nullptr || frames->empty()) return symbolize::hex_address(pc);
  return frames->back().function;
}

}  // namespace leakscope::analyze
