// ELF facts and process modules for heap tracking; see heap_elf.h.
#include "collect/heap_elf.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "base/file_util.h"
#include "procfs/smaps.h"

namespace leakscope::collect {
namespace {

bool pread_exact(int fd, void* buf, size_t len, uint64_t off) {
  auto p = static_cast<char*>(buf);
  while (len > 0) {
    ssize_t n = ::pread(fd, p, len, static_cast<off_t>(off));
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return true;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[p[i] >> 4]);
    s.push_back(kDigits[p[i] & 15]);
  }
  return s;
}

// One program header, whatever the class.
struct Phdr {
  uint32_t type;
  uint64_t offset;
  uint64_t filesz;
};

std::string build_id_in_notes(const std::string& notes) {
  size_t off = 0;
  while (off + 12 <= notes.size()) {
    uint32_t namesz, descsz, type;
    std::memcpy(&namesz, notes.data() + off, 4);
    std::memcpy(&descsz, notes.data() + off + 4, 4);
    std::memcpy(&type, notes.data() + off + 8, 4);
    size_t name_off = off + 12;
    size_t desc_off = name_off + ((namesz + 3) & ~size_t{3});
    size_t next = desc_off + ((descsz + 3) & ~size_t{3});
    if (desc_off + descsz > notes.size()) break;
    if (type == NT_GNU_BUILD_ID && namesz == 4 && std::memcmp(notes.data() + name_off, "GNU", 4) == 0)
      return hex(reinterpret_cast<const unsigned char*>(notes.data() + desc_off), descsz);
    off = next;
  }
  return {};
}

}  // namespace

StatusOr<ElfFacts> read_elf_facts(const std::string& path) {
  ASSIGN_OR_RETURN(ScopedFd fd, open_readonly(path));
  unsigned char ident[EI_NIDENT];
  if (!pread_exact(fd.get(), ident, sizeof(ident), 0) || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    return Status(StatusCode::kCorrupt, path + " is not an ELF file");
  if (ident[EI_DATA] != ELFDATA2LSB)
    return Status(StatusCode::kUnsupported, path + " is big-endian ELF");
  std::vector<Phdr> phdrs;
  if (ident[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    if (!pread_exact(fd.get(), &eh, sizeof(eh), 0) || eh.e_phentsize != sizeof(Elf64_Phdr))
      return Status(StatusCode::kCorrupt, "bad ELF header in " + path);
    for (int i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      if (!pread_exact(fd.get(), &ph, sizeof(ph), eh.e_phoff + static_cast<uint64_t>(i) * sizeof(ph)))
        return Status(StatusCode::kCorrupt, "truncated program headers in " + path);
      phdrs.push_back({ph.p_type, ph.p_offset, ph.p_filesz});
    }
  } else if (ident[EI_CLASS] == ELFCLASS32) {
    Elf32_Ehdr eh;
    if (!pread_exact(fd.get(), &eh, sizeof(eh), 0) || eh.e_phentsize != sizeof(Elf32_Phdr))
      return Status(StatusCode::kCorrupt, "bad ELF header in " + path);
    for (int i = 0; i < eh.e_phnum; ++i) {
      Elf32_Phdr ph;
      if (!pread_exact(fd.get(), &ph, sizeof(ph), eh.e_phoff + static_cast<uint64_t>(i) * sizeof(ph)))
        return Status(StatusCode::kCorrupt, "truncated program headers in " + path);
      phdrs.push_back({ph.p_type, ph.p_offset, ph.p_filesz});
    }
  } else {
    return Status(StatusCode::kCorrupt, "unknown ELF class in " + path);
  }
  ElfFacts facts;
  for (const Phdr& ph : phdrs) {
    if (ph.type == PT_INTERP) facts.has_interpreter = true;
    if (ph.type != PT_NOTE || !facts.build_id.empty() || ph.filesz > (1u << 20)) continue;
    std::string notes(ph.filesz, '\0');
    if (pread_exact(fd.get(), notes.data(), notes.size(), ph.offset))
      facts.build_id = build_id_in_notes(notes);
  }
  return facts;
}

StatusOr<std::vector<HeapModuleInfo>> read_process_modules(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid);
  ASSIGN_OR_RETURN(std::string text, read_file(dir + "/maps"));
  std::vector<procfs::Mapping> maps;
  RETURN_IF_ERROR(procfs::parse_smaps(text, &maps));
  std::vector<HeapModuleInfo> out;
  for (const auto& m : maps) {
    if (m.perms.size() < 3 || m.perms[2] != 'x' || m.path.empty() || m.path[0] != '/') continue;
    HeapModuleInfo info;
    info.start = m.start;
    info.end = m.end;
    info.file_offset = m.offset;
    info.path = m.path;
    auto facts = read_elf_facts(dir + "/root" + m.path);
    if (facts.is_ok()) info.build_id = facts->build_id;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace leakscope::collect
