// Heap table reading; see heap_reader.h.
#include "store/heap_reader.h"

#include <cstring>

namespace leakscope::store {

const HeapProcess* HeapData::find_process(int64_t process_id) const {
  for (const auto& p : processes)
    if (p.process_id == process_id) return &p;
  return nullptr;
}

StatusOr<std::vector<HeapProcess>> read_heap_processes(CaptureReader& reader) {
  ASSIGN_OR_RETURN(Statement st, reader.db().prepare(
      "SELECT process_id, mode, sample_interval, unwinder, status, events, lost_events"
      " FROM heap_process ORDER BY process_id"));
  std::vector<HeapProcess> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_int(0), st.column_text(1), st.column_int(2), st.column_text(3),
                   st.column_text(4), st.column_int(5), st.column_int(6)});
  }
  return out;
}

StatusOr<HeapData> read_heap_data(CaptureReader& reader) {
  Database& db = reader.db();
  HeapData out;
  ASSIGN_OR_RETURN(out.processes, read_heap_processes(reader));
  if (reader.meta().version >= 2) {
    ASSIGN_OR_RETURN(Statement st, db.prepare("SELECT process_id, stack_id, pcs FROM heap_stack"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      size_t bytes = st.column_bytes(2);
      std::vector<uint64_t>& pcs = out.stacks[{st.column_int(0), st.column_int(1)}];
      pcs.resize(bytes / sizeof(uint64_t));
      if (!pcs.empty()) std::memcpy(pcs.data(), st.column_blob(2), pcs.size() * sizeof(uint64_t));
    }
  } else {  // version 1: a row per frame
    ASSIGN_OR_RETURN(Statement st, db.prepare(
        "SELECT process_id, stack_id, pc FROM heap_stack ORDER BY process_id, stack_id, depth"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.stacks[{st.column_int(0), st.column_int(1)}].push_back(
          static_cast<uint64_t>(st.column_int(2)));
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st, db.prepare(
        "SELECT process_id, stack_id, bytes, blocks, at_exit FROM heap_unfreed"
        " ORDER BY process_id, bytes DESC"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.unfreed.push_back({st.column_int(0), st.column_int(1), st.column_int(2),
                             st.column_int(3), st.column_int(4) != 0});
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st, db.prepare(
        "SELECT process_id, start, end, file_offset, path, build_id FROM module"
        " ORDER BY process_id, start"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.modules.push_back({st.column_int(0), static_cast<uint64_t>(st.column_int(1)),
                             static_cast<uint64_t>(st.column_int(2)),
                             static_cast<uint64_t>(st.column_int(3)), st.column_text(4),
                             st.column_text(5)});
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st, db.prepare(
        "SELECT process_id, pc, inline_depth, function, file, line, module FROM frame_symbol"
        " ORDER BY process_id, pc, inline_depth"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      FrameSymbol f;
      f.process_id = st.column_int(0);
      f.pc = static_cast<uint64_t>(st.column_int(1));
      f.inline_depth = static_cast<int>(st.column_int(2));
      f.function = st.column_text(3);
      f.file = st.column_text(4);
      f.line = st.column_int(5);
      f.module = st.column_text(6);
      out.symbols[{f.process_id, f.pc}].push_back(std::move(f));
    }
  }
  return out;
}

StatusOr<std::vector<HeapSiteSample>> read_heap_site_samples(CaptureReader& reader,
                                                             int64_t process_id) {
  ASSIGN_OR_RETURN(Statement st, reader.db().prepare(
      "SELECT process_id, t_ms, stack_id, live_bytes, live_blocks, alloc_bytes, alloc_blocks,"
      " free_bytes, free_blocks, short_lived_blocks FROM heap_site_sample WHERE process_id=?"
      " ORDER BY stack_id, t_ms"));
  st.bind(1, process_id);
  std::vector<HeapSiteSample> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_int(0), st.column_int(1), st.column_int(2), st.column_int(3),
                   st.column_int(4), st.column_int(5), st.column_int(6), st.column_int(7),
                   st.column_int(8), st.column_int(9)});
  }
  return out;
}

StatusOr<std::vector<HeapTotal>> read_heap_totals(CaptureReader& reader, int64_t process_id) {
  ASSIGN_OR_RETURN(Statement st, reader.db().prepare(
      "SELECT process_id, t_ms, live_bytes, live_blocks, mmap_live_bytes, alloc_bytes, free_bytes"
      " FROM heap_total WHERE process_id=? ORDER BY t_ms"));
  st.bind(1, process_id);
  std::vector<HeapTotal> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_int(0), st.column_int(1), st.column_int(2), st.column_int(3),
                   st.column_int(4), st.column_int(5), st.column_int(6)});
  }
  return out;
}

}  // namespace leakscope::store
