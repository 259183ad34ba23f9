// Capture reading; see capture_reader.h.
#include "store/capture_reader.h"

#include <sys/stat.h>

#include <cerrno>

#include <nlohmann/json.hpp>

namespace leakscope::store {
namespace {

Status not_a_capture(const std::string& path, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, path + " is not a leakscope capture", why,
                "give a file written by `leakscope run -o` or `leakscope attach -o`");
}

Sample read_sample_row(const Statement& st) {
  Sample s;
  s.process_id = st.column_int(0);
  s.t_ms = st.column_int(1);
  s.rss = st.column_int_or_missing(2);
  s.rss_anon = st.column_int_or_missing(3);
  s.rss_file = st.column_int_or_missing(4);
  s.rss_shmem = st.column_int_or_missing(5);
  s.vm_data = st.column_int_or_missing(6);
  s.vm_swap = st.column_int_or_missing(7);
  s.vm_hwm = st.column_int_or_missing(8);
  s.threads = st.column_int_or_missing(9);
  s.fds = st.column_int_or_missing(10);
  s.minflt = st.column_int_or_missing(11);
  s.majflt = st.column_int_or_missing(12);
  s.cpu_ms = st.column_int_or_missing(13);
  s.read_us = st.column_int_or_missing(14);
  return s;
}

DetailSample read_detail_row(const Statement& st) {
  DetailSample d;
  d.process_id = st.column_int(0);
  d.t_ms = st.column_int(1);
  d.source = st.column_text(2);
  d.rss = st.column_int_or_missing(3);
  d.pss = st.column_int_or_missing(4);
  d.pss_anon = st.column_int_or_missing(5);
  d.pss_file = st.column_int_or_missing(6);
  d.pss_shmem = st.column_int_or_missing(7);
  d.private_clean = st.column_int_or_missing(8);
  d.private_dirty = st.column_int_or_missing(9);
  d.shared_clean = st.column_int_or_missing(10);
  d.shared_dirty = st.column_int_or_missing(11);
  d.swap = st.column_int_or_missing(12);
  d.swap_pss = st.column_int_or_missing(13);
  d.read_us = st.column_int_or_missing(14);
  return d;
}

constexpr const char* kSampleColumns =
    "process_id, t_ms, rss, rss_anon, rss_file, rss_shmem, vm_data, vm_swap, vm_hwm, threads,"
    " fds, minflt, majflt, cpu_ms, read_us";
constexpr const char* kDetailColumns =
    "process_id, t_ms, source, rss, pss, pss_anon, pss_file, pss_shmem, private_clean,"
    " private_dirty, shared_clean, shared_dirty, swap, swap_pss, read_us";

}  // namespace

const ProcessInfo* CaptureMeta::find_process(int64_t id) const {
  for (const auto& p : processes)
    if (p.id == id) return &p;
  return nullptr;
}

const ExecGeneration* CaptureMeta::latest_generation(int64_t process_id) const {
  const ExecGeneration* best = nullptr;
  for (const auto& g : generations)
    if (g.process_id == process_id && (!best || g.generation > best->generation)) best = &g;
  return best;
}

Status CaptureReader::validate(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return errno_status(errno, "cannot open capture " + path,
                        errno == ENOENT ? "check the path" : "check its permissions");
  if (S_ISDIR(st.st_mode)) return not_a_capture(path, "it is a directory");
  if (st.st_size == 0) return not_a_capture(path, "the file is empty");
  auto db = Database::open(path, SQLITE_OPEN_READONLY);
  if (!db.is_ok()) return db.status();
  auto version = db->query_int("PRAGMA user_version");
  if (!version.is_ok()) return not_a_capture(path, version.status().why());
  auto format = db->prepare("SELECT value FROM meta WHERE key='format'");
  if (!format.is_ok()) return not_a_capture(path, "it has no leakscope meta table");
  auto row = format->step();
  if (!row.is_ok()) return not_a_capture(path, row.status().why());
  if (!*row || format->column_text(0) != kCaptureFormatName)
    return not_a_capture(path, "its meta table does not name the leakscope format");
  if (*version > kCaptureVersion)
    return Status(StatusCode::kUnsupported,
                  "cannot read " + path,
                  "capture format version " + std::to_string(*version) +
                      " is newer than this leakscope reads (version " +
                      std::to_string(kCaptureVersion) + ")",
                  "upgrade leakscope");
  if (*version < 1) return not_a_capture(path, "it has no capture version");
  return Status::ok();
}

StatusOr<CaptureReader> CaptureReader::open(const std::string& path) {
  RETURN_IF_ERROR(validate(path));
  CaptureReader r;
  ASSIGN_OR_RETURN(r.db_, Database::open(path, SQLITE_OPEN_READONLY));
  Status s = r.load_meta();
  if (!s.is_ok()) return Status(StatusCode::kCorrupt, "cannot read capture " + path,
                                s.what() + ": " + s.why(), "the file may be damaged");
  return r;
}

Status CaptureReader::load_meta() {
  ASSIGN_OR_RETURN(int64_t version, db_.query_int("PRAGMA user_version"));
  meta_.version = static_cast<int>(version);
  {
    ASSIGN_OR_RETURN(Statement st, db_.prepare(
        "SELECT mode, command, argv_json, cwd, host, kernel, leakscope_version, start_unix_ns,"
        " start_boot_ns, tick_ms, detail_min_ms, page_size, clock_ticks, mem_total,"
        " cgroup_mem_max, nofile_limit, options_json, end_ms, exit_code, exit_signal"
        " FROM run WHERE id=1"));
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Status(StatusCode::kCorrupt, "no run row");
    RunInfo& r = meta_.run;
    r.mode = st.column_text(0);
    r.command = st.column_text(1);
    auto argv = nlohmann::json::parse(st.column_text(2), nullptr, false);
    if (argv.is_array())
      for (const auto& a : argv)
        if (a.is_string()) r.argv.push_back(a.get<std::string>());
    r.cwd = st.column_text(3);
    r.host = st.column_text(4);
    r.kernel = st.column_text(5);
    r.leakscope_version = st.column_text(6);
    r.start_unix_ns = st.column_int(7);
    r.start_boot_ns = st.column_int_or_missing(8);
    r.tick_ms = st.column_int(9);
    r.detail_min_ms = st.column_int(10);
    r.page_size = st.column_int_or_missing(11);
    r.clock_ticks = st.column_int_or_missing(12);
    r.mem_total = st.column_int_or_missing(13);
    r.cgroup_mem_max = st.column_int_or_missing(14);
    r.nofile_limit = st.column_int_or_missing(15);
    r.options_json = st.column_text(16);
    r.end_ms = st.column_int_or_missing(17);
    r.exit_code = st.column_int_or_missing(18);
    r.exit_signal = st.column_int_or_missing(19);
  }
  {
    ASSIGN_OR_RETURN(Statement st, db_.prepare(
        "SELECT id, pid, start_ticks, start_ms, parent_id, ppid, uid, first_seen_ms, last_seen_ms,"
        " exit_ms, end_state, exit_code, exit_signal, is_root FROM process ORDER BY id"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      ProcessInfo p;
      p.id = st.column_int(0);
      p.pid = static_cast<int32_t>(st.column_int(1));
      p.start_ticks = static_cast<uint64_t>(st.column_int(2));
      p.start_ms = st.column_is_null(3) ? kUnknownTime : st.column_int(3);
      p.parent_id = st.column_int_or_missing(4);
      p.ppid = static_cast<int32_t>(st.column_int(5));
      p.uid = st.column_int_or_missing(6);
      p.first_seen_ms = st.column_int(7);
      p.last_seen_ms = st.column_int_or_missing(8);
      p.exit_ms = st.column_int_or_missing(9);
      p.end_state = st.column_text(10);
      p.exit_code = st.column_int_or_missing(11);
      p.exit_signal = st.column_int_or_missing(12);
      p.is_root = st.column_int(13) != 0;
      meta_.processes.push_back(std::move(p));
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st, db_.prepare(
        "SELECT process_id, generation, t_ms, comm, exe, cmdline FROM exec_generation"
        " ORDER BY process_id, generation"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      ExecGeneration g;
      g.process_id = st.column_int(0);
      g.generation = static_cast<int>(st.column_int(1));
      g.t_ms = st.column_int(2);
      g.comm = st.column_text(3);
      g.exe = st.column_text(4);
      g.cmdline = st.column_text(5);
      meta_.generations.push_back(std::move(g));
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st,
                     db_.prepare("SELECT t_ms, label, source, text FROM mark ORDER BY t_ms, id"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      meta_.marks.push_back({st.column_int(0), st.column_text(1), st.column_text(2), st.column_text(3)});
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st,
                     db_.prepare("SELECT t_ms, process_id, kind, text FROM note ORDER BY id"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      meta_.notes.push_back(
          {st.column_int_or_missing(0), st.column_int_or_missing(1), st.column_text(2), st.column_text(3)});
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st, db_.prepare(
        "SELECT t_ms, cpu_us, wall_us, processes, cheap_read_us, detail_read_us FROM recorder_stat"
        " ORDER BY t_ms"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      meta_.recorder_stats.push_back({st.column_int(0), st.column_int(1), st.column_int(2),
                                      st.column_int(3), st.column_int(4), st.column_int(5)});
    }
  }
  return Status::ok();
}

StatusOr<std::vector<Sample>> CaptureReader::samples(int64_t process_id) {
  ASSIGN_OR_RETURN(Statement st, db_.prepare(std::string("SELECT ") + kSampleColumns +
                                             " FROM sample WHERE process_id=? ORDER BY t_ms"));
  st.bind(1, process_id);
  std::vector<Sample> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_sample_row(st));
  }
  return out;
}

StatusOr<std::vector<DetailSample>> CaptureReader::details(int64_t process_id) {
  ASSIGN_OR_RETURN(Statement st, db_.prepare(std::string("SELECT ") + kDetailColumns +
                                             " FROM detail WHERE process_id=? ORDER BY t_ms"));
  st.bind(1, process_id);
  std::vector<DetailSample> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_detail_row(st));
  }
  return out;
}

StatusOr<std::map<int64_t, std::vector<Sample>>> CaptureReader::all_samples() {
  ASSIGN_OR_RETURN(Statement st, db_.prepare(std::string("SELECT ") + kSampleColumns +
                                             " FROM sample ORDER BY process_id, t_ms"));
  std::map<int64_t, std::vector<Sample>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    Sample s = read_sample_row(st);
    out[s.process_id].push_back(s);
  }
  return out;
}

StatusOr<std::map<int64_t, std::vector<DetailSample>>> CaptureReader::all_details() {
  ASSIGN_OR_RETURN(Statement st, db_.prepare(std::string("SELECT ") + kDetailColumns +
                                             " FROM detail ORDER BY process_id, t_ms"));
  std::map<int64_t, std::vector<DetailSample>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    DetailSample d = read_detail_row(st);
    out[d.process_id].push_back(std::move(d));
  }
  return out;
}

StatusOr<std::vector<MapsSummary>> CaptureReader::maps_summaries(int64_t process_id) {
  ASSIGN_OR_RETURN(Statement st, db_.prepare(
      "SELECT process_id, t_ms, heap_bytes, anon_mappings, anon_bytes, arena_like, file_mappings,"
      " shmem_bytes FROM maps_summary WHERE process_id=? ORDER BY t_ms"));
  st.bind(1, process_id);
  std::vector<MapsSummary> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    MapsSummary m;
    m.process_id = st.column_int(0);
    m.t_ms = st.column_int(1);
    m.heap_bytes = st.column_int_or_missing(2);
    m.anon_mappings = st.column_int_or_missing(3);
    m.anon_bytes = st.column_int_or_missing(4);
    m.arena_like = st.column_int_or_missing(5);
    m.file_mappings = st.column_int_or_missing(6);
    m.shmem_bytes = st.column_int_or_missing(7);
    out.push_back(m);
  }
  return out;
}

}  // namespace leakscope::store
