// smaps / smaps_rollup parsing; see smaps.h.
#include "procfs/smaps.h"

#include <algorithm>

#include "base/strings.h"

namespace leakscope::procfs {
namespace {

void assign_rollup_field(std::string_view key, int64_t v, MemRollup* r) {
  if (key == "Rss") r->rss = v;
  else if (key == "Pss") r->pss = v;
  else if (key == "Pss_Anon") r->pss_anon = v;
  else if (key == "Pss_File") r->pss_file = v;
  else if (key == "Pss_Shmem") r->pss_shmem = v;
  else if (key == "Shared_Clean") r->shared_clean = v;
  else if (key == "Shared_Dirty") r->shared_dirty = v;
  else if (key == "Private_Clean") r->private_clean = v;
  else if (key == "Private_Dirty") r->private_dirty = v;
  else if (key == "Anonymous") r->anonymous = v;
  else if (key == "Swap") r->swap = v;
  else if (key == "SwapPss") r->swap_pss = v;
}

void assign_mapping_field(std::string_view key, int64_t v, Mapping* m) {
  if (key == "Size") m->size = v;
  else if (key == "Rss") m->rss = v;
  else if (key == "Pss") m->pss = v;
  else if (key == "Shared_Clean") m->shared_clean = v;
  else if (key == "Shared_Dirty") m->shared_dirty = v;
  else if (key == "Private_Clean") m->private_clean = v;
  else if (key == "Private_Dirty") m->private_dirty = v;
  else if (key == "Anonymous") m->anonymous = v;
  else if (key == "Swap") m->swap = v;
  else if (key == "SwapPss") m->swap_pss = v;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// "7f00-7f10 rw-p 00000000 08:01 1234   /path with spaces"
bool parse_address_line(std::string_view line, Mapping* m) {
  size_t dash = line.find('-');
  if (dash == std::string_view::npos || dash == 0 || !is_hex(line[0])) return false;
  auto hex = [](std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 16) return false;
    uint64_t v = 0;
    for (char c : s) {
      if (!is_hex(c)) return false;
      v = v * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    *out = v;
    return true;
  };
  size_t sp = line.find(' ', dash);
  if (sp == std::string_view::npos) return false;
  if (!hex(line.substr(0, dash), &m->start) || !hex(line.substr(dash + 1, sp - dash - 1), &m->end))
    return false;
  // perms offset dev inode path
  std::string_view rest = line.substr(sp + 1);
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    rest = rest.substr(std::min(rest.find_first_not_of(' '), rest.size()));
    size_t e = rest.find(' ');
    parts[i] = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e);
  }
  m->perms = std::string(parts[0]);
  if (!hex(parts[1], &m->offset)) m->offset = 0;
  m->dev = std::string(parts[2]);
  if (!parse_u64(parts[3], &m->inode)) m->inode = 0;
  m->path = std::string(trim(rest));
  return m->perms.size() == 4;
}

}  // namespace

Status parse_smaps_rollup(std::string_view text, MemRollup* out) {
  bool saw_pss = false;
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    int64_t v = 0;
    if (!parse_kb_value(value, &v)) return;
    if (key == "Pss") saw_pss = true;
    assign_rollup_field(key, v, out);
  });
  if (!saw_pss) return Status(StatusCode::kCorrupt, "malformed smaps_rollup", "no Pss line");
  return Status::ok();
}

Status parse_smaps(std::string_view text, std::vector<Mapping>* out) {
  out->clear();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    Mapping m;
    if (parse_address_line(line, &m)) {
      out->push_back(std::move(m));
      continue;
    }
    if (out->empty()) return Status(StatusCode::kCorrupt, "malformed smaps", "no mapping header");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    int64_t v = 0;
    if (parse_kb_value(trim(line.substr(colon + 1)), &v))
      assign_mapping_field(line.substr(0, colon), v, &out->back());
  }
  return Status::ok();
}

bool is_shmem_mapping(const Mapping& m) {
  const std::string& p = m.path;
  bool shared = m.perms.size() == 4 && m.perms[3] == 's';
  if (starts_with(p, "/dev/shm/") || starts_with(p, "/SYSV") || starts_with(p, "/memfd:"))
    return true;
  // MAP_SHARED|MAP_ANONYMOUS shows as "/dev/zero (deleted)" or with no path.
  return shared && (p.empty() || starts_with(p, "/dev/zero") || starts_with(p, "[anon_shmem"));
}

MappingKind classify_mapping(const Mapping& m) {
  const std::string& p = m.path;
  if (p == "[heap]") return MappingKind::kHeap;
  if (starts_with(p, "[stack")) return MappingKind::kStack;
  if (is_shmem_mapping(m)) return MappingKind::kShared;
  if (starts_with(p, "/dev/")) return MappingKind::kDevice;
  if (p.empty() || starts_with(p, "[anon")) return MappingKind::kAnonymous;
  if (p[0] == '[') return MappingKind::kSpecial;  // [vdso] [vvar] [vsyscall]
  return MappingKind::kFile;
}

const char* mapping_kind_name(MappingKind kind) {
  switch (kind) {
    case MappingKind::kHeap: return "heap";
    case MappingKind::kStack: return "stack";
    case MappingKind::kAnonymous: return "anonymous";
    case MappingKind::kFile: return "file";
    case MappingKind::kShared: return "shared";
    case MappingKind::kDevice: return "device";
    case MappingKind::kSpecial: return "special";
  }
  return "?";
}

MemRollup rollup_from_mappings(const std::vector<Mapping>& mappings) {
  MemRollup r;
  r.rss = r.pss = r.pss_anon = r.pss_file = r.pss_shmem = 0;
  r.shared_clean = r.shared_dirty = r.private_clean = r.private_dirty = 0;
  r.anonymous = r.swap = r.swap_pss = 0;
  auto add = [](int64_t* acc, int64_t v) {
    if (v > 0) *acc += v;
  };
  for (const auto& m : mappings) {
    add(&r.rss, m.rss);
    add(&r.pss, m.pss);
    add(&r.shared_clean, m.shared_clean);
    add(&r.shared_dirty, m.shared_dirty);
    add(&r.private_clean, m.private_clean);
    add(&r.private_dirty, m.private_dirty);
    add(&r.anonymous, m.anonymous);
    add(&r.swap, m.swap);
    add(&r.swap_pss, m.swap_pss);
    int64_t pss = m.pss > 0 ? m.pss : 0;
    if (is_shmem_mapping(m)) {
      r.pss_shmem += pss;
      continue;
    }
    // Anonymous pages are private, so their PSS equals their size unless shared after fork
    // (COW): scale by the mapping's PSS/RSS ratio to stay within the mapping's PSS.
    int64_t anon = m.anonymous > 0 ? m.anonymous : 0;
    if (m.rss > 0 && anon > 0) {
      double ratio = static_cast<double>(pss) / static_cast<double>(m.rss);
      int64_t anon_pss = std::min<int64_t>(pss, static_cast<int64_t>(anon * ratio + 0.5));
      r.pss_anon += anon_pss;
      r.pss_file += pss - anon_pss;
    } else {
      r.pss_file += pss;
    }
  }
  return r;
}

}  // namespace leakscope::procfs
