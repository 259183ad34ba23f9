// /proc reading for triage; see triage_collect.h.
#include "analyze/triage_collect.h"

#include <unistd.h>

#include <set>

#include "base/file_util.h"
#include "base/strings.h"
#include "base/time_util.h"

namespace leakscope::analyze {
namespace {

// cgroup v1 reports "no limit" as the largest page-aligned long.
constexpr uint64_t kV1Unlimited = 1ull << 62;

std::string join_cmdline_words(const std::string& raw, const std::string& comm) {
  std::vector<std::string> words;
  for (std::string_view w : split(raw, '\0')) words.emplace_back(w);
  while (!words.empty() && words.back().empty()) words.pop_back();
  return words.empty() ? "[" + comm + "]" : shell_join(words);
}

// The required reads: without ptrace-level access to the process they fail, and then the
// whole triage fails with a message that says whose process it is.
Status require(const Status& s, const std::string& path, const TriageInputs& in) {
  if (s.is_ok()) return s;
  if (s.code() == StatusCode::kPermissionDenied) {
    std::string owner = in.status.uid_real >= 0 ? " (uid " + std::to_string(in.status.uid_real) + ")" : "";
    return Status(StatusCode::kPermissionDenied,
                  "cannot inspect process " + std::to_string(in.pid) + owner,
                  s.why() + " reading " + path,
                  "run leakscope as the process's user, or as root with ptrace access");
  }
  if (s.code() == StatusCode::kNotFound)
    return Status(StatusCode::kGone, "process " + std::to_string(in.pid) + " exited while being read");
  return s;
}

void read_identity(const std::string& dir, TriageInputs* out) {
  std::string text;
  out->comm = out->stat.comm;
  if (read_file(dir + "/comm", &text).is_ok() && !text.empty()) out->comm = std::string(trim(text));
  text.clear();
  if (!read_file(dir + "/cmdline", &text).is_ok()) out->notes.push_back("cmdline unreadable");
  out->cmdline = join_cmdline_words(text, out->comm);
  int64_t ticks = clock_ticks_per_second();
  int64_t start_boot_ns =
      static_cast<int64_t>(out->stat.starttime_ticks) * (1000000000 / (ticks > 0 ? ticks : 100));
  int64_t since_start_ns = boot_time_ns() - start_boot_ns;
  out->start_unix_ns = realtime_ns() - since_start_ns;
  out->age_s = since_start_ns / 1000000000;
}

void read_binary(const std::string& dir, TriageInputs* out) {
  auto exe = read_link(dir + "/exe");
  if (!exe.is_ok()) {
    out->notes.push_back(out->mappings.empty() ? "no executable (kernel thread or zombie)"
                                               : "executable link unreadable: " + exe.status().message());
    return;
  }
  out->exe = *exe;
  // Through /proc/PID/exe, so a deleted or replaced binary is still the one that runs.
  auto elf = symbolize::read_elf_info(dir + "/exe");
  if (elf.is_ok()) {
    out->elf_ok = true;
    out->elf = std::move(elf).value();
  } else {
    out->elf_error = elf.status().message();
    out->notes.push_back("executable not readable as ELF: " + out->elf_error);
  }
  std::set<std::string> seen;
  for (const auto& m : out->mappings) {
    std::string name = allocator_of_library(m.path);
    if (name.empty() || name == "glibc" || name == "musl" || !seen.insert(m.path).second) continue;
    MappedLibrary lib{m.path, -1};
    auto info = symbolize::read_elf_info(dir + "/root" + m.path);  // its mount namespace
    if (info.is_ok()) lib.defines_malloc = info->defines("malloc") ? 1 : 0;
    out->allocator_libraries.push_back(std::move(lib));
  }
}

void read_limits(const std::string& dir, TriageInputs* out) {
  std::string text;
  if (!read_file(dir + "/limits", &text).is_ok() ||
      !parse_nofile_limits(text, &out->nofile_soft, &out->nofile_hard))
    out->notes.push_back("RLIMIT_NOFILE unreadable");
  text.clear();
  if (!read_file(dir + "/cgroup", &text).is_ok() || !find_memory_cgroup(text, &out->cgroup)) {
    out->notes.push_back("no memory cgroup found");
    return;
  }
  Status s = read_cgroup_memory("/sys/fs/cgroup", &out->cgroup);
  if (!s.is_ok()) out->notes.push_back("cgroup memory unreadable: " + s.message());
}

bool parse_limit_value(std::string_view word, int64_t* out) {
  uint64_t v = 0;
  if (word == "unlimited" || !parse_u64(word, &v) || v > static_cast<uint64_t>(INT64_MAX)) {
    *out = kMissing;
    return word == "unlimited";
  }
  *out = static_cast<int64_t>(v);
  return true;
}

}  // namespace

bool parse_nofile_limits(std::string_view text, int64_t* soft, int64_t* hard) {
  constexpr std::string_view kKey = "Max open files";
  for (std::string_view line : split(text, '\n')) {
    if (!starts_with(line, kKey)) continue;
    std::vector<std::string_view> words;
    for (std::string_view w : split(line.substr(kKey.size()), ' ')) {
      if (!w.empty()) words.push_back(w);
    }
    return words.size() >= 2 && parse_limit_value(words[0], soft) && parse_limit_value(words[1], hard);
  }
  return false;
}

bool find_memory_cgroup(std::string_view text, CgroupMemory* out) {
  std::string v2_path;
  bool have_v2 = false;
  for (std::string_view line : split(text, '\n')) {
    // hierarchy-id:controller-list:path; the path may contain ':'.
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string_view path = line.substr(c2 + 1);
    if (line.substr(0, c1) == "0" && controllers.empty()) {
      have_v2 = true;
      v2_path = std::string(path);
      continue;
    }
    for (std::string_view c : split(controllers, ',')) {
      if (c == "memory") {
        out->version = 1;
        out->path = std::string(path);
        return true;
      }
    }
  }
  if (!have_v2) return false;
  out->version = 2;
  out->path = v2_path;
  return true;
}

Status read_cgroup_memory(const std::string& root, CgroupMemory* cg) {
  std::string dir = cg->version == 1 ? root + "/memory" + cg->path : root + cg->path;
  std::string max_text, current_text;
  RETURN_IF_ERROR(read_file(dir + (cg->version == 1 ? "/memory.limit_in_bytes" : "/memory.max"), &max_text));
  RETURN_IF_ERROR(read_file(dir + (cg->version == 1 ? "/memory.usage_in_bytes" : "/memory.current"),
                            &current_text));
  uint64_t v = 0;
  cg->limited = false;
  cg->max = kMissing;
  if (trim(max_text) != "max" && parse_u64(trim(max_text), &v) &&
      (cg->version != 1 || v < kV1Unlimited) && v <= static_cast<uint64_t>(INT64_MAX)) {
    cg->limited = true;
    cg->max = static_cast<int64_t>(v);
  }
  if (parse_u64(trim(current_text), &v) && v <= static_cast<uint64_t>(INT64_MAX))
    cg->current = static_cast<int64_t>(v);
  return Status::ok();
}

Status collect_triage_inputs(pid_t pid, TriageInputs* out) {
  out->pid = static_cast<int32_t>(pid);
  std::string dir = "/proc/" + std::to_string(pid);
  std::string text;
  Status s = read_file(dir + "/stat", &text);
  if (s.code() == StatusCode::kNotFound)
    return Status(StatusCode::kNotFound, "no process " + std::to_string(pid), "there is no " + dir,
                  "check the pid with `ps -e`");
  RETURN_IF_ERROR(s);
  if (text.empty()) return Status(StatusCode::kGone, "process " + std::to_string(pid) + " exited");
  RETURN_IF_ERROR(procfs::parse_proc_stat(text, &out->stat));
  RETURN_IF_ERROR(require(read_file(dir + "/status", &text), dir + "/status", *out));
  RETURN_IF_ERROR(procfs::parse_proc_status(text, &out->status));
  read_identity(dir, out);

  std::string path = dir + "/smaps";
  RETURN_IF_ERROR(require(read_file(path, &text), path, *out));
  RETURN_IF_ERROR(procfs::parse_smaps(text, &out->mappings).with_context(path));
  path = dir + "/smaps_rollup";
  s = read_file(path, &text);
  if (s.is_ok() && !text.empty() && procfs::parse_smaps_rollup(text, &out->rollup).is_ok() &&
      out->rollup.pss_anon >= 0)
    out->rollup_ok = true;
  else if (s.code() == StatusCode::kPermissionDenied)
    return require(s, path, *out);
  if (out->mappings.empty()) out->notes.push_back("no user memory (kernel thread or zombie)");

  path = dir + "/fd";
  RETURN_IF_ERROR(require(procfs::list_fds(pid, &out->fds), path, *out));
  s = procfs::read_sockets(pid, &out->sockets);
  out->sockets_ok = s.is_ok();
  if (!s.is_ok()) out->notes.push_back("socket tables unreadable: " + s.message());

  read_binary(dir, out);
  read_limits(dir, out);

  // Same process still? A pid reused while we read would mix two processes' facts.
  procfs::ProcStat again;
  if (!read_file(dir + "/stat", &text).is_ok() || text.empty() ||
      !procfs::parse_proc_stat(text, &again).is_ok() ||
      again.starttime_ticks != out->stat.starttime_ticks)
    return Status(StatusCode::kGone, "process " + std::to_string(pid) + " exited while being read");
  return Status::ok();
}

StatusOr<TriageReport> triage_process(pid_t pid) {
  TriageInputs in;
  RETURN_IF_ERROR(collect_triage_inputs(pid, &in));
  return build_triage(in);
}

}  // namespace leakscope::analyze
