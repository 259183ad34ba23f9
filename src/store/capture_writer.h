// Writes a capture file while recording. Rows are buffered in memory and written in one
// transaction per flush() (the recorder flushes every second), so the write lock is held
// for milliseconds and `leakscope mark` from another shell never waits long; a SIGKILL
// loses at most the rows since the last flush. The file is created 0600: captures hold
// command lines. WAL mode while recording; the WAL is folded back at finish() so a
// finished capture is one file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/capture_types.h"
#include "store/heap_types.h"
#include "store/sqlite_db.h"

namespace leakscope::store {

class CaptureWriter {
 public:
  // Creates `path` (replacing an earlier leakscope capture there, refusing other files).
  static StatusOr<std::unique_ptr<CaptureWriter>> create(const std::string& path,
                                                         const RunInfo& run);
  ~CaptureWriter();

  // Registers a process and returns its capture id (written at the next flush).
  int64_t add_process(const ProcessInfo& info);
  void update_process(const ProcessInfo& info);
  void add_generation(const ExecGeneration& gen);
  void add_sample(const Sample& s) { samples_.push_back(s); }
  void add_detail(const DetailSample& d) { details_.push_back(d); }
  void add_maps_summary(const MapsSummary& m) { maps_summaries_.push_back(m); }
  void add_mark(const Mark& m) { marks_.push_back(m); }
  void add_note(const Note& n) { notes_.push_back(n); }
  void add_recorder_stat(const RecorderStat& r) { recorder_stats_.push_back(r); }

  // Heap tracking rows (written in the same transaction as everything else).
  void add_heap_process(const HeapProcess& h) { heap_.processes.push_back(h); }
  void add_heap_stack(HeapStack s) { heap_.stacks.push_back(std::move(s)); }
  // Frame by frame (tests): consecutive frames of one stack extend it.
  void add_heap_stack_frame(const HeapStackFrame& f);
  void add_heap_site_sample(const HeapSiteSample& s) { heap_.site_samples.push_back(s); }
  void add_heap_total(const HeapTotal& t) { heap_.totals.push_back(t); }
  void add_heap_unfreed(const HeapUnfreed& u) { heap_.unfreed.push_back(u); }
  void add_module(const Module& m) { heap_.modules.push_back(m); }
  void add_frame_symbol(const FrameSymbol& f) { heap_.symbols.push_back(f); }

  Status flush();
  // Records the end of the run, flushes and checkpoints the WAL into the main file.
  Status finish(int64_t end_ms, int64_t exit_code, int64_t exit_signal);

  size_t rows_written() const { return rows_written_; }
  Database& db() { return db_; }

 private:
  explicit CaptureWriter(Database db) : db_(std::move(db)) {}
  Status prepare_statements();
  Status prepare_heap_statements();
  Status write_heap_rows();  // inside flush()'s transaction
  size_t heap_row_count() const;

  struct HeapRows {
    std::vector<HeapProcess> processes;
    std::vector<HeapStack> stacks;
    std::vector<HeapSiteSample> site_samples;
    std::vector<HeapTotal> totals;
    std::vector<HeapUnfreed> unfreed;
    std::vector<Module> modules;
    std::vector<FrameSymbol> symbols;
  };
  HeapRows heap_;
  Statement insert_heap_process_, insert_heap_stack_, insert_heap_site_sample_,
      insert_heap_total_, insert_heap_unfreed_, insert_module_, insert_frame_symbol_;
  // The same inserts for kHeapBatchRows rows at a time: heap_stack and heap_site_sample
  // get up to millions of rows on allocation-heavy programs, and one statement per batch
  // costs half as much per row as one per row.
  Statement insert_heap_site_samples_batch_;

  Database db_;
  Statement insert_process_, update_process_, insert_generation_, insert_sample_,
      insert_detail_, insert_maps_summary_, insert_mark_, insert_note_, insert_recorder_stat_;
  int64_t next_process_id_ = 1;
  std::vector<ProcessInfo> new_processes_;
  std::vector<ProcessInfo> updated_processes_;
  std::vector<ExecGeneration> generations_;
  std::vector<Sample> samples_;
  std::vector<DetailSample> details_;
  std::vector<MapsSummary> maps_summaries_;
  std::vector<Mark> marks_;
  std::vector<Note> notes_;
  std::vector<RecorderStat> recorder_stats_;
  size_t rows_written_ = 0;
};

// Appends a mark to a capture from another process (`leakscope mark`), placing it in time
// by the run's wall-clock start. Works while the recorder is writing (WAL + busy timeout).
Status append_mark(const std::string& path, const std::string& label, const std::string& source,
                   int64_t now_unix_ns, int64_t* t_ms_out);

}  // namespace leakscope::store
