// /proc/PID/stat and statm parsing; field numbers follow proc(5).
#include "procfs/proc_stat.h"

#include "base/strings.h"

namespace leakscope::procfs {

Status parse_proc_stat(std::string_view text, ProcStat* out) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return Status(StatusCode::kCorrupt, "malformed stat line", "no (comm)");
  int64_t pid = 0;
  if (!parse_i64(trim(text.substr(0, open)), &pid))
    return Status(StatusCode::kCorrupt, "malformed stat line", "bad pid");
  out->pid = static_cast<int32_t>(pid);
  out->comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields after comm start at field 3 (state). Index them from 3.
  std::string_view rest = text.substr(close + 1);
  std::string_view fields[64];
  int n = 0;
  size_t i = 0;
  while (i < rest.size() && n < 64) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) ++i;
    size_t b = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') ++i;
    if (i > b) fields[n++] = rest.substr(b, i - b);
  }
  // fields[k] is proc(5) field k+3.
  auto field = [&](int number) -> std::string_view {
    int k = number - 3;
    return (k >= 0 && k < n) ? fields[k] : std::string_view();
  };
  if (n < 22) return Status(StatusCode::kCorrupt, "malformed stat line", "too few fields");
  out->state = field(3).empty() ? '?' : field(3)[0];
  int64_t v = 0;
  if (!parse_i64(field(4), &v)) return Status(StatusCode::kCorrupt, "malformed stat line", "ppid");
  out->ppid = static_cast<int32_t>(v);
  bool ok = parse_u64(field(10), &out->minflt) && parse_u64(field(12), &out->majflt) &&
            parse_u64(field(14), &out->utime_ticks) && parse_u64(field(15), &out->stime_ticks) &&
            parse_i64(field(20), &out->num_threads) &&
            parse_u64(field(22), &out->starttime_ticks);
  if (!ok) return Status(StatusCode::kCorrupt, "malformed stat line", "numeric field");
  if (n >= 22) parse_u64(field(23), &out->vsize_bytes);
  if (n >= 23) parse_i64(field(24), &out->rss_pages);
  if (n >= 26) parse_u64(field(26), &out->start_code);
  if (n >= 28) parse_u64(field(28), &out->start_stack);
  return Status::ok();
}

Status parse_proc_statm(std::string_view text, ProcStatm* out) {
  auto parts = split(trim(text), ' ');
  if (parts.size() < 6) return Status(StatusCode::kCorrupt, "malformed statm", "too few fields");
  bool ok = parse_u64(parts[0], &out->size_pages) && parse_u64(parts[1], &out->resident_pages) &&
            parse_u64(parts[2], &out->shared_pages) && parse_u64(parts[3], &out->text_pages) &&
            parse_u64(parts[5], &out->data_pages);
  if (!ok) return Status(StatusCode::kCorrupt, "malformed statm", "numeric field");
  return Status::ok();
}

}  // namespace leakscope::procfs
