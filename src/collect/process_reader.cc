// Per-process /proc reading for the sampler; see process_reader.h.
#include "collect/process_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/file_util.h"
#include "base/strings.h"
#include "base/time_util.h"
#include "procfs/children.h"
#include "procfs/maps_shape.h"

namespace leakscope::collect {
namespace {

int64_t page_size() {
  static const int64_t kPage = ::sysconf(_SC_PAGESIZE);
  return kPage;
}

// A process that exited between listing and reading: reads of its /proc files fail with
// ESRCH, or return nothing.
bool is_gone(const Status& s) {
  return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kGone;
}

}  // namespace

std::string join_cmdline(const std::string& raw, const std::string& comm) {
  if (raw.empty()) return "[" + comm + "]";
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i <= raw.size(); ++i) {
    if (i == raw.size() || raw[i] == '\0') {
      if (i > start || (i < raw.size())) words.emplace_back(raw.substr(start, i - start));
      start = i + 1;
    }
  }
  while (!words.empty() && words.back().empty()) words.pop_back();
  return shell_join(words);
}

StatusOr<ProcessReader> ProcessReader::open(pid_t pid) {
  ProcessReader r;
  r.pid_ = pid;
  r.dir_ = "/proc/" + std::to_string(pid);
  r.stat_path_ = r.dir_ + "/stat";
  r.status_path_ = r.dir_ + "/status";
  r.statm_path_ = r.dir_ + "/statm";
  auto stat_fd = open_readonly(r.dir_ + "/stat");
  if (!stat_fd.is_ok()) return stat_fd.status();
  r.stat_fd_ = std::move(stat_fd).value();
  Status s = pread_all(r.stat_fd_.get(), &r.buf_, r.stat_path_);
  if (!s.is_ok()) return s;
  if (r.buf_.empty()) return Status(StatusCode::kGone, "process " + std::to_string(pid) + " exited");
  RETURN_IF_ERROR(procfs::parse_proc_stat(r.buf_, &r.stat_));
  r.start_ticks_ = r.stat_.starttime_ticks;
  auto status_fd = open_readonly(r.status_path_);
  if (status_fd.is_ok()) r.status_fd_ = std::move(status_fd).value();
  auto statm_fd = open_readonly(r.statm_path_);
  if (statm_fd.is_ok()) r.statm_fd_ = std::move(statm_fd).value();
  return r;
}

Status ProcessReader::read_cheap(store::Sample* out, bool with_status) {
  int64_t t0 = monotonic_ns();
  Status s = pread_all(stat_fd_.get(), &buf_, stat_path_, ReadEnd::kShortReadIsEnd);
  if (!s.is_ok() || buf_.empty()) return Status(StatusCode::kGone, "process exited");
  RETURN_IF_ERROR(procfs::parse_proc_stat(buf_, &stat_));
  out->threads = stat_.num_threads;
  out->minflt = static_cast<int64_t>(stat_.minflt);
  out->majflt = static_cast<int64_t>(stat_.majflt);
  out->cpu_ms = static_cast<int64_t>((stat_.utime_ticks + stat_.stime_ticks) * 1000 /
                                     static_cast<uint64_t>(clock_ticks_per_second()));
  if (stat_.state == 'Z' || stat_.state == 'X')
    return Status(StatusCode::kGone, "process is a zombie");
  // statm every tick (a fixed-size line, the cheapest memory read): RSS, the anonymous
  // part (resident - shared = file + shmem) and VmData. status, which renders ~50 lines,
  // only when asked: it adds the file/shmem split, swap and the high-water mark.
  if (statm_fd_.valid()) {
    s = pread_all(statm_fd_.get(), &buf_, statm_path_, ReadEnd::kShortReadIsEnd);
    procfs::ProcStatm sm;
    if (s.is_ok() && !buf_.empty() && procfs::parse_proc_statm(buf_, &sm).is_ok()) {
      int64_t page = page_size();
      out->rss = static_cast<int64_t>(sm.resident_pages) * page;
      out->rss_anon = static_cast<int64_t>(sm.resident_pages - std::min(sm.resident_pages, sm.shared_pages)) * page;
      out->vm_data = static_cast<int64_t>(sm.data_pages) * page;
    } else if (is_gone(s) || buf_.empty()) {
      return Status(StatusCode::kGone, "process exited");
    }
  }
  if (with_status && status_fd_.valid()) {
    s = pread_all(status_fd_.get(), &buf_, status_path_, ReadEnd::kShortReadIsEnd);
    if (s.is_ok() && !buf_.empty()) {
      status_ = procfs::ProcStatus();
      if (procfs::parse_proc_status(buf_, &status_).is_ok()) {
        out->rss = status_.vm_rss >= 0 ? status_.vm_rss : out->rss;
        if (status_.rss_anon >= 0) out->rss_anon = status_.rss_anon;
        out->rss_file = status_.rss_file;
        out->rss_shmem = status_.rss_shmem;
        if (status_.vm_data >= 0) out->vm_data = status_.vm_data;
        out->vm_swap = status_.vm_swap;
        out->vm_hwm = status_.vm_hwm;
        if (status_.threads >= 0) out->threads = status_.threads;
      }
    } else if (is_gone(s) || buf_.empty()) {
      return Status(StatusCode::kGone, "process exited");
    }
  }
  if (out->rss < 0) out->rss = stat_.rss_pages * 4096;  // old kernels: no VmRSS line
  // The fd count comes with status, not every tick: descriptors leak over minutes, and a
  // syscall fewer per process per tick keeps a 50-process tree under the 1% budget.
  if (with_status && fd_dir_readable_) {
    if (!fd_dir_.valid()) {
      int fd = ::open((dir_ + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) fd_dir_.reset(fd);
      else if (errno == EACCES || errno == EPERM) fd_dir_readable_ = false;  // say so once
    }
    if (fd_dir_.valid()) {
      // Since Linux 6.2 stat() of /proc/PID/fd reports the number of open fds as its size:
      // one syscall instead of rewinding and listing the directory. Older kernels say 0.
      struct stat st;
      if (::fstat(fd_dir_.get(), &st) == 0 && st.st_size > 0) {
        out->fds = static_cast<int64_t>(st.st_size);
      } else {
        auto n = count_dir_entries(fd_dir_.get());
        if (n.is_ok()) out->fds = *n;
      }
    }
  }
  out->read_us = (monotonic_ns() - t0) / 1000;
  return Status::ok();
}

Status ProcessReader::read_detail(store::DetailSample* out) {
  int64_t t0 = monotonic_ns();
  procfs::MemRollup r;
  if (rollup_usable_) {
    Status s = read_file(dir_ + "/smaps_rollup", &buf_);
    if (s.is_ok() && !buf_.empty() && procfs::parse_smaps_rollup(buf_, &r).is_ok() &&
        r.pss_anon >= 0) {
      out->source = "smaps_rollup";
    } else if (s.code() == StatusCode::kPermissionDenied) {
      return s;
    } else if (s.is_ok() && buf_.empty()) {
      return Status(StatusCode::kGone, "process exited");
    } else if (s.is_ok() || s.code() == StatusCode::kNotFound) {
      // Missing rollup file, or one without the class split: use the full smaps from now on.
      if (::access(dir_.c_str(), F_OK) != 0) return Status(StatusCode::kGone, "process exited");
      rollup_usable_ = false;
    } else {
      return s;
    }
  }
  if (!rollup_usable_) {
    Status s = read_file(dir_ + "/smaps", &buf_);
    if (!s.is_ok()) return is_gone(s) ? Status(StatusCode::kGone, "process exited") : s;
    std::vector<procfs::Mapping> maps;
    RETURN_IF_ERROR(procfs::parse_smaps(buf_, &maps));
    r = procfs::rollup_from_mappings(maps);
    out->source = "smaps";
  }
  out->rss = r.rss;
  out->pss = r.pss;
  out->pss_anon = r.pss_anon;
  out->pss_file = r.pss_file;
  out->pss_shmem = r.pss_shmem;
  out->private_clean = r.private_clean;
  out->private_dirty = r.private_dirty;
  out->shared_clean = r.shared_clean;
  out->shared_dirty = r.shared_dirty;
  out->swap = r.swap;
  out->swap_pss = r.swap_pss;
  out->read_us = (monotonic_ns() - t0) / 1000;
  return Status::ok();
}

Status ProcessReader::read_main_thread_children(std::vector<pid_t>* out) {
  if (!children_fd_.valid()) {
    std::string path = dir_ + "/task/" + std::to_string(pid_) + "/children";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_status(errno, "cannot open " + path);
    children_fd_.reset(fd);
  }
  RETURN_IF_ERROR(pread_all(children_fd_.get(), &buf_, dir_ + "/task/*/children"));
  procfs::parse_children(buf_, out);
  return Status::ok();
}

char ProcessReader::read_state() {
  Status s = pread_all(stat_fd_.get(), &buf_, stat_path_, ReadEnd::kShortReadIsEnd);
  if (!s.is_ok() || buf_.empty()) return 0;
  procfs::ProcStat st;
  if (!procfs::parse_proc_stat(buf_, &st).is_ok()) return 0;
  return st.state;
}

Status ProcessReader::read_maps_summary(store::MapsSummary* out) {
  Status s = read_file(dir_ + "/maps", &buf_);
  if (!s.is_ok()) return is_gone(s) ? Status(StatusCode::kGone, "process exited") : s;
  std::vector<procfs::Mapping> maps;
  RETURN_IF_ERROR(procfs::parse_smaps(buf_, &maps));
  procfs::MapsShape shape = procfs::summarize_maps(maps);
  out->heap_bytes = shape.heap_bytes;
  out->anon_mappings = shape.anon_mappings;
  out->anon_bytes = shape.anon_bytes;
  out->arena_like = shape.arena_like;
  out->file_mappings = shape.file_mappings;
  out->shmem_bytes = shape.shmem_bytes;
  return Status::ok();
}

void ProcessReader::read_image(std::string* comm, std::string* exe, std::string* cmdline) const {
  std::string text;
  *comm = stat_.comm;
  if (read_file(dir_ + "/comm", &text).is_ok()) *comm = std::string(trim(text));
  auto link = read_link(dir_ + "/exe");
  *exe = link.is_ok() ? *link : "";
  text.clear();
  (void)read_file(dir_ + "/cmdline", &text);
  *cmdline = join_cmdline(text, *comm);
}

}  // namespace leakscope::collect
