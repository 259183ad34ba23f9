// Opens and reads capture files. Validation comes first and is strict: a file that is not
// SQLite, not a leakscope capture, or of a newer schema version is refused with a message
// naming what was found, so that no command silently prints an empty result.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/capture_types.h"
#include "store/sqlite_db.h"

namespace leakscope::store {

// Everything except the per-tick series, which are read per process on demand.
struct CaptureMeta {
  int version = 0;
  RunInfo run;
  std::vector<ProcessInfo> processes;
  std::vector<ExecGeneration> generations;  // ordered by process, generation
  std::vector<Mark> marks;                  // ordered by time
  std::vector<Note> notes;
  std::vector<RecorderStat> recorder_stats;

  const ProcessInfo* find_process(int64_t id) const;
  // The latest exec generation of a process (its current image), or nullptr.
  const ExecGeneration* latest_generation(int64_t process_id) const;
};

class CaptureReader {
 public:
  // Checks that `path` is a readable capture this build understands.
  static Status validate(const std::string& path);
  static StatusOr<CaptureReader> open(const std::string& path);

  const CaptureMeta& meta() const { return meta_; }
  StatusOr<std::vector<Sample>> samples(int64_t process_id);
  StatusOr<std::vector<DetailSample>> details(int64_t process_id);
  // Samples of every process, grouped by process id.
  StatusOr<std::map<int64_t, std::vector<Sample>>> all_samples();
  StatusOr<std::map<int64_t, std::vector<DetailSample>>> all_details();
  StatusOr<std::vector<MapsSummary>> maps_summaries(int64_t process_id);
  Database& db() { return db_; }

 private:
  CaptureReader() = default;
  Status load_meta();
  Database db_;
  CaptureMeta meta_;
};

}  // namespace leakscope::store
