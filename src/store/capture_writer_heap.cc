// The heap-tracking half of CaptureWriter: statements and row writing for the heap_*,
// module and frame_symbol tables. Split from capture_writer.cc to keep each file small.
#include "store/capture_writer.h"

#include <algorithm>

namespace leakscope::store {
namespace {

constexpr int kHeapBatchRows = 16;

// "INSERT OR REPLACE INTO t(cols) VALUES (?,..),(?,..),..." for `rows` rows.
std::string batch_insert(const std::string& head, int columns, int rows) {
  std::string group = "(";
  for (int c = 0; c < columns; ++c) group += c ? ",?" : "?";
  group += ")";
  std::string sql = head + " VALUES ";
  for (int r = 0; r < rows; ++r) sql += (r ? "," : "") + group;
  return sql;
}

}  // namespace

Status CaptureWriter::prepare_heap_statements() {
  ASSIGN_OR_RETURN(insert_heap_process_, db_.prepare(
      "INSERT OR REPLACE INTO heap_process(process_id, mode, sample_interval, unwinder, status,"
      " events, lost_events) VALUES (?,?,?,?,?,?,?)"));
  const std::string site_head =
      "INSERT OR REPLACE INTO heap_site_sample(process_id, t_ms, stack_id, live_bytes,"
      " live_blocks, alloc_bytes, alloc_blocks, free_bytes, free_blocks, short_lived_blocks)";
  ASSIGN_OR_RETURN(insert_heap_stack_, db_.prepare(
      "INSERT OR REPLACE INTO heap_stack(process_id, stack_id, pcs) VALUES (?,?,?)"));
  ASSIGN_OR_RETURN(insert_heap_site_sample_, db_.prepare(batch_insert(site_head, 10, 1)));
  ASSIGN_OR_RETURN(insert_heap_site_samples_batch_,
                   db_.prepare(batch_insert(site_head, 10, kHeapBatchRows)));
  ASSIGN_OR_RETURN(insert_heap_total_, db_.prepare(
      "INSERT OR REPLACE INTO heap_total(process_id, t_ms, live_bytes, live_blocks,"
      " mmap_live_bytes, alloc_bytes, free_bytes) VALUES (?,?,?,?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_heap_unfreed_, db_.prepare(
      "INSERT OR REPLACE INTO heap_unfreed(process_id, stack_id, bytes, blocks, at_exit)"
      " VALUES (?,?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_module_, db_.prepare(
      "INSERT OR REPLACE INTO module(process_id, start, end, file_offset, path, build_id)"
      " VALUES (?,?,?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_frame_symbol_, db_.prepare(
      "INSERT OR REPLACE INTO frame_symbol(process_id, pc, inline_depth, function, file, line,"
      " module) VALUES (?,?,?,?,?,?,?)"));
  return Status::ok();
}

void CaptureWriter::add_heap_stack_frame(const HeapStackFrame& f) {
  if (heap_.stacks.empty() || heap_.stacks.back().process_id != f.process_id ||
      heap_.stacks.back().stack_id != f.stack_id)
    heap_.stacks.push_back({f.process_id, f.stack_id, {}});
  std::vector<uint64_t>& pcs = heap_.stacks.back().pcs;
  size_t depth = static_cast<size_t>(std::max(f.depth, 0));
  if (depth >= pcs.size()) pcs.resize(depth + 1, 0);
  pcs[depth] = f.pc;
}

size_t CaptureWriter::heap_row_count() const {
  return heap_.processes.size() + heap_.stacks.size() + heap_.site_samples.size() +
         heap_.totals.size() + heap_.unfreed.size() + heap_.modules.size() +
         heap_.symbols.size();
}

Status CaptureWriter::write_heap_rows() {
  for (const auto& h : heap_.processes) {
    auto& st = insert_heap_process_;
    st.bind(1, h.process_id).bind(2, std::string_view(h.mode)).bind(3, h.sample_interval);
    st.bind(4, std::string_view(h.unwinder)).bind(5, std::string_view(h.status));
    st.bind(6, h.events).bind(7, h.lost_events);
    RETURN_IF_ERROR(st.run());
  }
  // Batches of kHeapBatchRows rows, then the rest one by one.
  auto write_batched = [&](const auto& rows, Statement& one, Statement& batch, int columns,
                           auto bind_row) -> Status {
    size_t i = 0;
    for (; i + kHeapBatchRows <= rows.size(); i += kHeapBatchRows) {
      for (int r = 0; r < kHeapBatchRows; ++r) bind_row(batch, r * columns, rows[i + r]);
      RETURN_IF_ERROR(batch.run());
    }
    for (; i < rows.size(); ++i) {
      bind_row(one, 0, rows[i]);
      RETURN_IF_ERROR(one.run());
    }
    return Status::ok();
  };
  // One row per stack, its pcs little-endian in a BLOB: a row per frame made these rows 95%
  // of the collector's SQLite time on a compiler (1.5 M rows a second).
  for (const HeapStack& s : heap_.stacks) {
    if (s.pcs.empty()) continue;  // as version 1, which had no frame rows to write for it
    auto& st = insert_heap_stack_;
    st.bind(1, s.process_id).bind(2, s.stack_id);
    st.bind_blob(3, s.pcs.data(), s.pcs.size() * sizeof(uint64_t));
    RETURN_IF_ERROR(st.run());
  }
  RETURN_IF_ERROR(write_batched(heap_.site_samples, insert_heap_site_sample_,
                                insert_heap_site_samples_batch_, 10,
                                [](Statement& st, int base, const HeapSiteSample& s) {
    st.bind(base + 1, s.process_id).bind(base + 2, s.t_ms).bind(base + 3, s.stack_id);
    st.bind(base + 4, s.live_bytes).bind(base + 5, s.live_blocks).bind(base + 6, s.alloc_bytes);
    st.bind(base + 7, s.alloc_blocks).bind(base + 8, s.free_bytes).bind(base + 9, s.free_blocks);
    st.bind(base + 10, s.short_lived_blocks);
  }));
  for (const auto& t : heap_.totals) {
    auto& st = insert_heap_total_;
    st.bind(1, t.process_id).bind(2, t.t_ms).bind(3, t.live_bytes).bind(4, t.live_blocks);
    st.bind(5, t.mmap_live_bytes).bind(6, t.alloc_bytes).bind(7, t.free_bytes);
    RETURN_IF_ERROR(st.run());
  }
  for (const auto& u : heap_.unfreed) {
    auto& st = insert_heap_unfreed_;
    st.bind(1, u.process_id).bind(2, u.stack_id).bind(3, u.bytes).bind(4, u.blocks);
    st.bind(5, int64_t{u.at_exit});
    RETURN_IF_ERROR(st.run());
  }
  for (const auto& m : heap_.modules) {
    auto& st = insert_module_;
    st.bind(1, m.process_id).bind(2, static_cast<int64_t>(m.start));
    st.bind(3, static_cast<int64_t>(m.end)).bind(4, static_cast<int64_t>(m.file_offset));
    st.bind(5, std::string_view(m.path));
    if (m.build_id.empty()) st.bind_null(6); else st.bind(6, std::string_view(m.build_id));
    RETURN_IF_ERROR(st.run());
  }
  for (const auto& f : heap_.symbols) {
    auto& st = insert_frame_symbol_;
    st.bind(1, f.process_id).bind(2, static_cast<int64_t>(f.pc));
    st.bind(3, static_cast<int64_t>(f.inline_depth)).bind(4, std::string_view(f.function));
    st.bind(5, std::string_view(f.file)).bind(6, f.line).bind(7, std::string_view(f.module));
    RETURN_IF_ERROR(st.run());
  }
  return Status::ok();
}

}  // namespace leakscope::store
