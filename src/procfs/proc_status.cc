// /proc/PID/status parsing; see proc_status.h.
#include "procfs/proc_status.h"

namespace leakscope::procfs {

Status parse_proc_status(std::string_view text, ProcStatus* out) {
  bool saw_name = false;
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    int64_t v = 0;
    auto mem = [&](int64_t* field) {
      if (parse_kb_value(value, &v)) *field = v;
    };
    switch (key.size() > 0 ? key[0] : 0) {
      case 'N':
        if (key == "Name") {
          out->name = std::string(value);
          saw_name = true;
        }
        break;
      case 'S':
        if (key == "State" && !value.empty()) out->state = value[0];
        break;
      case 'T':
        if (key == "Tgid" && parse_i64(value, &v)) out->tgid = static_cast<int32_t>(v);
        else if (key == "Threads" && parse_i64(value, &v)) out->threads = v;
        break;
      case 'P':
        if (key == "PPid" && parse_i64(value, &v)) out->ppid = static_cast<int32_t>(v);
        break;
      case 'U':
        if (key == "Uid") {
          auto parts = split(value, '\t');
          if (parts.size() >= 2) {
            if (parse_i64(trim(parts[0]), &v)) out->uid_real = v;
            if (parse_i64(trim(parts[1]), &v)) out->uid_effective = v;
          }
        }
        break;
      case 'V':
        if (key == "VmPeak") mem(&out->vm_peak);
        else if (key == "VmSize") mem(&out->vm_size);
        else if (key == "VmHWM") mem(&out->vm_hwm);
        else if (key == "VmRSS") mem(&out->vm_rss);
        else if (key == "VmData") mem(&out->vm_data);
        else if (key == "VmStk") mem(&out->vm_stk);
        else if (key == "VmExe") mem(&out->vm_exe);
        else if (key == "VmLib") mem(&out->vm_lib);
        else if (key == "VmPTE") mem(&out->vm_pte);
        else if (key == "VmSwap") mem(&out->vm_swap);
        break;
      case 'R':
        if (key == "RssAnon") mem(&out->rss_anon);
        else if (key == "RssFile") mem(&out->rss_file);
        else if (key == "RssShmem") mem(&out->rss_shmem);
        break;
      default:
        break;
    }
  });
  if (!saw_name) return Status(StatusCode::kCorrupt, "malformed status file", "no Name line");
  return Status::ok();
}

}  // namespace leakscope::procfs
