// Capture writing; see capture_writer.h.
#include "store/capture_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "base/scoped_fd.h"
#include "base/time_util.h"
#include "store/capture_reader.h"
#include "store/capture_schema.h"

namespace leakscope::store {
namespace {

Status create_file_0600(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return Status(StatusCode::kInvalidArgument, "cannot write capture " + path,
                    "it is a directory", "give a file name, e.g. -o " + path + "/cap.db");
    if (st.st_size > 0) {
      Status s = CaptureReader::validate(path);
      if (!s.is_ok())
        return Status(StatusCode::kInvalidArgument, "refusing to overwrite " + path,
                      "it exists and is not a leakscope capture", "choose another -o path");
    }
    ::unlink(path.c_str());
    ::unlink((path + "-wal").c_str());
    ::unlink((path + "-shm").c_str());
    ::unlink((path + "-journal").c_str());
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    std::string hint = err == ENOENT ? "create the folder first" : "check the path and its permissions";
    return errno_status(err, "cannot create capture " + path, hint);
  }
  ScopedFd owned(fd);
  if (::fchmod(fd, 0600) != 0) return errno_status(errno, "cannot chmod " + path);
  return Status::ok();
}

}  // namespace

StatusOr<std::unique_ptr<CaptureWriter>> CaptureWriter::create(const std::string& path,
                                                               const RunInfo& run) {
  RETURN_IF_ERROR(create_file_0600(path));
  ASSIGN_OR_RETURN(Database db, Database::open(path, SQLITE_OPEN_READWRITE));
  std::unique_ptr<CaptureWriter> w(new CaptureWriter(std::move(db)));
  // NORMAL in WAL mode: commits are durable against a crash of leakscope (the WAL is in
  // the page cache) and only an OS crash can lose the last commits. Creating the file and
  // its schema syncs nothing: an OS crash before the run starts loses nothing of value,
  // and those ~6 fdatasyncs cost several ms before the program may start (5% of a
  // 0.2 s program's time).
  RETURN_IF_ERROR(w->db_.exec("PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;"));
  RETURN_IF_ERROR(w->db_.exec("BEGIN"));
  RETURN_IF_ERROR(w->db_.exec(kCaptureSchemaSql));
  RETURN_IF_ERROR(w->db_.exec("PRAGMA user_version=" + std::to_string(kCaptureVersion)));
  {
    ASSIGN_OR_RETURN(Statement meta, w->db_.prepare("INSERT INTO meta(key, value) VALUES (?, ?)"));
    RETURN_IF_ERROR(meta.bind(1, std::string_view("format")).bind(2, std::string_view(kCaptureFormatName)).run());
    RETURN_IF_ERROR(meta.bind(1, std::string_view("capture_version"))
                        .bind(2, std::string_view(std::to_string(kCaptureVersion)))
                        .run());
    ASSIGN_OR_RETURN(Statement ins, w->db_.prepare(
        "INSERT INTO run(id, mode, command, argv_json, cwd, host, kernel, leakscope_version,"
        " start_unix_ns, start_utc, start_boot_ns, tick_ms, detail_min_ms, page_size,"
        " clock_ticks, mem_total, cgroup_mem_max, nofile_limit, options_json)"
        " VALUES (1,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    nlohmann::json argv = run.argv;
    ins.bind(1, std::string_view(run.mode)).bind(2, std::string_view(run.command));
    ins.bind(3, std::string_view(argv.dump())).bind(4, std::string_view(run.cwd));
    ins.bind(5, std::string_view(run.host)).bind(6, std::string_view(run.kernel));
    ins.bind(7, std::string_view(run.leakscope_version)).bind(8, run.start_unix_ns);
    ins.bind(9, std::string_view(format_utc(run.start_unix_ns))).bind(10, run.start_boot_ns);
    ins.bind(11, run.tick_ms).bind(12, run.detail_min_ms).bind(13, run.page_size);
    ins.bind(14, run.clock_ticks).bind_opt(15, run.mem_total).bind_opt(16, run.cgroup_mem_max);
    ins.bind_opt(17, run.nofile_limit);
    ins.bind(18, std::string_view(run.options_json.empty() ? "{}" : run.options_json));
    RETURN_IF_ERROR(ins.run());
  }
  RETURN_IF_ERROR(w->db_.exec("COMMIT"));
  RETURN_IF_ERROR(w->db_.exec("PRAGMA synchronous=NORMAL;"));
  RETURN_IF_ERROR(w->prepare_statements());
  return w;
}

CaptureWriter::~CaptureWriter() = default;

Status CaptureWriter::prepare_statements() {
  ASSIGN_OR_RETURN(insert_process_, db_.prepare(
      "INSERT INTO process(id, pid, start_ticks, start_ms, parent_id, ppid, uid, first_seen_ms,"
      " last_seen_ms, exit_ms, end_state, exit_code, exit_signal, is_root)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  ASSIGN_OR_RETURN(update_process_, db_.prepare(
      "UPDATE process SET last_seen_ms=?, exit_ms=?, end_state=?, exit_code=?, exit_signal=?,"
      " parent_id=?, ppid=? WHERE id=?"));
  ASSIGN_OR_RETURN(insert_generation_, db_.prepare(
      "INSERT OR REPLACE INTO exec_generation(process_id, generation, t_ms, comm, exe, cmdline)"
      " VALUES (?,?,?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_sample_, db_.prepare(
      "INSERT OR REPLACE INTO sample(process_id, t_ms, rss, rss_anon, rss_file, rss_shmem, vm_data,"
      " vm_swap, vm_hwm, threads, fds, minflt, majflt, cpu_ms, read_us)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_detail_, db_.prepare(
      "INSERT OR REPLACE INTO detail(process_id, t_ms, source, rss, pss, pss_anon, pss_file,"
      " pss_shmem, private_clean, private_dirty, shared_clean, shared_dirty, swap, swap_pss,"
      " read_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_maps_summary_, db_.prepare(
      "INSERT OR REPLACE INTO maps_summary(process_id, t_ms, heap_bytes, anon_mappings, anon_bytes,"
      " arena_like, file_mappings, shmem_bytes) VALUES (?,?,?,?,?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_mark_,
                   db_.prepare("INSERT INTO mark(t_ms, label, source, text) VALUES (?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_note_, db_.prepare(
      "INSERT INTO note(t_ms, process_id, kind, text) VALUES (?,?,?,?)"));
  ASSIGN_OR_RETURN(insert_recorder_stat_, db_.prepare(
      "INSERT OR REPLACE INTO recorder_stat(t_ms, cpu_us, wall_us, processes, cheap_read_us,"
      " detail_read_us) VALUES (?,?,?,?,?,?)"));
  return prepare_heap_statements();
}

int64_t CaptureWriter::add_process(const ProcessInfo& info) {
  ProcessInfo p = info;
  p.id = next_process_id_++;
  new_processes_.push_back(p);
  return p.id;
}

void CaptureWriter::update_process(const ProcessInfo& info) { updated_processes_.push_back(info); }
void CaptureWriter::add_generation(const ExecGeneration& gen) { generations_.push_back(gen); }

Status CaptureWriter::flush() {
  if (new_processes_.empty() && updated_processes_.empty() && generations_.empty() &&
      samples_.empty() && details_.empty() && maps_summaries_.empty() && marks_.empty() && notes_.empty() &&
      recorder_stats_.empty() && heap_row_count() == 0)
    return Status::ok();
  RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE"));
  auto fail = [&](Status s) {
    (void)db_.exec("ROLLBACK");
    return s;
  };
  for (const auto& p : new_processes_) {
    auto& st = insert_process_;
    st.bind(1, p.id).bind(2, static_cast<int64_t>(p.pid)).bind(3, static_cast<int64_t>(p.start_ticks));
    if (p.start_ms == kUnknownTime) st.bind_null(4); else st.bind(4, p.start_ms);
    st.bind_opt(5, p.parent_id).bind(6, static_cast<int64_t>(p.ppid));
    st.bind_opt(7, p.uid).bind(8, p.first_seen_ms).bind_opt(9, p.last_seen_ms);
    st.bind_opt(10, p.exit_ms).bind(11, std::string_view(p.end_state.empty() ? "running" : p.end_state));
    st.bind_opt(12, p.exit_code).bind_opt(13, p.exit_signal).bind(14, int64_t{p.is_root});
    if (Status s = st.run(); !s.is_ok()) return fail(s);
  }
  for (const auto& p : updated_processes_) {
    auto& st = update_process_;
    st.bind_opt(1, p.last_seen_ms).bind_opt(2, p.exit_ms);
    st.bind(3, std::string_view(p.end_state.empty() ? "running" : p.end_state));
    st.bind_opt(4, p.exit_code).bind_opt(5, p.exit_signal).bind_opt(6, p.parent_id);
    st.bind(7, static_cast<int64_t>(p.ppid)).bind(8, p.id);
    if (Status s = st.run(); !s.is_ok()) return fail(s);
  }
  for (const auto& g : generations_) {
    auto& st = insert_generation_;
    st.bind(1, g.process_id).bind(2, static_cast<int64_t>(g.generation)).bind(3, g.t_ms);
    st.bind(4, std::string_view(g.comm)).bind(5, std::string_view(g.exe));
    st.bind(6, std::string_view(g.cmdline));
    if (Status s = st.run(); !s.is_ok()) return fail(s);
  }
  for (const auto& s : samples_) {
    auto& st = insert_sample_;
    st.bind(1, s.process_id).bind(2, s.t_ms).bind_opt(3, s.rss).bind_opt(4, s.rss_anon);
    st.bind_opt(5, s.rss_file).bind_opt(6, s.rss_shmem).bind_opt(7, s.vm_data);
    st.bind_opt(8, s.vm_swap).bind_opt(9, s.vm_hwm).bind_opt(10, s.threads).bind_opt(11, s.fds);
    st.bind_opt(12, s.minflt).bind_opt(13, s.majflt).bind_opt(14, s.cpu_ms).bind_opt(15, s.read_us);
    if (Status r = st.run(); !r.is_ok()) return fail(r);
  }
  for (const auto& d : details_) {
    auto& st = insert_detail_;
    st.bind(1, d.process_id).bind(2, d.t_ms).bind(3, std::string_view(d.source));
    st.bind_opt(4, d.rss).bind_opt(5, d.pss).bind_opt(6, d.pss_anon).bind_opt(7, d.pss_file);
    st.bind_opt(8, d.pss_shmem).bind_opt(9, d.private_clean).bind_opt(10, d.private_dirty);
    st.bind_opt(11, d.shared_clean).bind_opt(12, d.shared_dirty).bind_opt(13, d.swap);
    st.bind_opt(14, d.swap_pss).bind_opt(15, d.read_us);
    if (Status r = st.run(); !r.is_ok()) return fail(r);
  }
  for (const auto& m : maps_summaries_) {
    auto& st = insert_maps_summary_;
    st.bind(1, m.process_id).bind(2, m.t_ms).bind_opt(3, m.heap_bytes).bind_opt(4, m.anon_mappings);
    st.bind_opt(5, m.anon_bytes).bind_opt(6, m.arena_like).bind_opt(7, m.file_mappings);
    st.bind_opt(8, m.shmem_bytes);
    if (Status r = st.run(); !r.is_ok()) return fail(r);
  }
  for (const auto& m : marks_) {
    auto& st = insert_mark_;
    st.bind(1, m.t_ms).bind(2, std::string_view(m.label)).bind(3, std::string_view(m.source));
    st.bind(4, std::string_view(m.text));
    if (Status r = st.run(); !r.is_ok()) return fail(r);
  }
  for (const auto& n : notes_) {
    auto& st = insert_note_;
    st.bind(1, n.t_ms).bind_opt(2, n.process_id).bind(3, std::string_view(n.kind));
    st.bind(4, std::string_view(n.text));
    if (Status r = st.run(); !r.is_ok()) return fail(r);
  }
  for (const auto& r : recorder_stats_) {
    auto& st = insert_recorder_stat_;
    st.bind(1, r.t_ms).bind(2, r.cpu_us).bind(3, r.wall_us).bind(4, r.processes);
    st.bind(5, r.cheap_read_us).bind(6, r.detail_read_us);
    if (Status s = st.run(); !s.is_ok()) return fail(s);
  }
  if (Status s = write_heap_rows(); !s.is_ok()) return fail(s);
  RETURN_IF_ERROR(db_.exec("COMMIT"));
  rows_written_ += heap_row_count();
  heap_ = HeapRows();
  rows_written_ += new_processes_.size() + updated_processes_.size() + generations_.size() +
                   samples_.size() + details_.size() + maps_summaries_.size() + marks_.size() + notes_.size() +
                   recorder_stats_.size();
  new_processes_.clear();
  updated_processes_.clear();
  generations_.clear();
  samples_.clear();
  details_.clear();
  maps_summaries_.clear();
  marks_.clear();
  notes_.clear();
  recorder_stats_.clear();
  return Status::ok();
}

Status CaptureWriter::finish(int64_t end_ms, int64_t exit_code, int64_t exit_signal) {
  RETURN_IF_ERROR(flush());
  ASSIGN_OR_RETURN(Statement st,
                   db_.prepare("UPDATE run SET end_ms=?, exit_code=?, exit_signal=? WHERE id=1"));
  st.bind(1, end_ms).bind_opt(2, exit_code).bind_opt(3, exit_signal);
  RETURN_IF_ERROR(st.run());
  // Fold the WAL back so the finished capture is a single file that can be copied alone.
  // Without syncing it, like any file a tool writes (perf and heaptrack do not sync theirs):
  // the five fdatasyncs cost the user several ms of waiting after the program ended.
  return db_.exec(
      "PRAGMA synchronous=OFF; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
}

Status append_mark(const std::string& path, const std::string& label, const std::string& source,
                   int64_t now_unix_ns, int64_t* t_ms_out) {
  RETURN_IF_ERROR(CaptureReader::validate(path));
  ASSIGN_OR_RETURN(Database db, Database::open(path, SQLITE_OPEN_READWRITE));
  ASSIGN_OR_RETURN(int64_t start_ns, db.query_int("SELECT start_unix_ns FROM run WHERE id=1"));
  int64_t t_ms = (now_unix_ns - start_ns) / 1000000;
  ASSIGN_OR_RETURN(Statement st,
                   db.prepare("INSERT INTO mark(t_ms, label, source, text) VALUES (?,?,?,'')"));
  st.bind(1, t_ms).bind(2, std::string_view(label)).bind(3, std::string_view(source));
  RETURN_IF_ERROR(st.run());
  if (t_ms_out) *t_ms_out = t_ms;
  return Status::ok();
}

}  // namespace leakscope::store
