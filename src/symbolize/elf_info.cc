// ELF facts with libelf; see elf_info.h.
#include "symbolize/elf_info.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/file_util.h"

namespace leakscope::symbolize {
namespace {

constexpr std::string_view kMallocFamily[] = {
    // The standard entry points: defining them replaces the allocator.
    "malloc", "free", "calloc", "realloc", "reallocarray", "memalign", "posix_memalign",
    "aligned_alloc", "valloc", "pvalloc", "malloc_usable_size",
    // Markers that name the allocator even when it is linked in with a prefix.
    "__libc_malloc", "mallocx", "mallctl", "je_malloc", "je_mallocx", "je_mallctl",
    "tc_malloc", "tc_free", "mi_malloc", "mi_free"};

struct ElfDeleter {
  void operator()(Elf* e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfDeleter>;

Status elf_error(const std::string& what, const char* step) {
  return Status(StatusCode::kCorrupt, "cannot read ELF " + what,
                std::string(step) + ": " + elf_errmsg(-1));
}

std::string hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

// Finds NT_GNU_BUILD_ID in a note block.
void scan_notes(Elf_Data* data, ElfInfo* info) {
  if (data == nullptr) return;
  size_t offset = 0;
  GElf_Nhdr nhdr;
  size_t name_off = 0, desc_off = 0;
  while (offset < data->d_size &&
         (offset = gelf_getnote(data, offset, &nhdr, &name_off, &desc_off)) > 0) {
    const char* base = static_cast<const char*>(data->d_buf);
    if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
        std::memcmp(base + name_off, "GNU", 4) == 0 && desc_off + nhdr.n_descsz <= data->d_size) {
      info->build_id = hex(reinterpret_cast<const unsigned char*>(base + desc_off), nhdr.n_descsz);
      return;
    }
  }
}

// Calls fn(i, data) for each fixed-size entry of a symbol or dynamic section.
template <typename Fn>
void for_each_entry(Elf_Scn* scn, const GElf_Shdr& shdr, Fn&& fn) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (data == nullptr || shdr.sh_entsize == 0) return;
  size_t count = shdr.sh_size / shdr.sh_entsize;
  for (size_t i = 0; i < count; ++i) {
    if (!fn(static_cast<int>(i), data)) break;
  }
}

void scan_symbols(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, ElfInfo* info) {
  for_each_entry(scn, shdr, [&](int i, Elf_Data* data) {
    GElf_Sym sym;
    if (gelf_getsym(data, i, &sym) == nullptr) return false;
    int type = GELF_ST_TYPE(sym.st_info);
    if (sym.st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC)) return true;
    const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
    if (name != nullptr && is_malloc_family_symbol(name)) info->malloc_symbols.emplace_back(name);
    return true;
  });
}

void scan_dynamic(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, ElfInfo* info) {
  for_each_entry(scn, shdr, [&](int i, Elf_Data* data) {
    GElf_Dyn dyn;
    if (gelf_getdyn(data, i, &dyn) == nullptr || dyn.d_tag == DT_NULL) return false;
    if (dyn.d_tag != DT_NEEDED) return true;
    const char* name = elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val);
    if (name != nullptr) info->needed.emplace_back(name);
    return true;
  });
}

Status scan_sections(Elf* elf, const std::string& what, ElfInfo* info) {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return elf_error(what, "section names");
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) return elf_error(what, "section header");
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    std::string_view sname = name != nullptr ? name : "";
    if (shdr.sh_type == SHT_SYMTAB) info->has_symtab = true;
    if (sname == ".debug_info" || sname == ".zdebug_info") info->has_debug_info = true;
    if (shdr.sh_type == SHT_NOBITS) continue;  // e.g. .debug_* left empty by objcopy
    if (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM) scan_symbols(elf, scn, shdr, info);
    else if (shdr.sh_type == SHT_DYNAMIC) scan_dynamic(elf, scn, shdr, info);
    else if (shdr.sh_type == SHT_NOTE && info->build_id.empty()) scan_notes(elf_getdata(scn, nullptr), info);
    else if (sname == ".gnu_debuglink") {
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data != nullptr && data->d_size > 0)
        info->debuglink = std::string(static_cast<const char*>(data->d_buf),
                                      strnlen(static_cast<const char*>(data->d_buf), data->d_size));
    }
  }
  return Status::ok();
}

// Program headers: PT_INTERP, and the build-id note when section headers are gone.
Status scan_segments(Elf* elf, const std::string& what, ElfInfo* info) {
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) return elf_error(what, "program headers");
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, static_cast<int>(i), &phdr) == nullptr) continue;
    if (phdr.p_type == PT_INTERP) {
      size_t size = 0;
      const char* image = elf_rawfile(elf, &size);
      if (image != nullptr && phdr.p_offset < size && phdr.p_filesz <= size - phdr.p_offset)
        info->interpreter = std::string(image + phdr.p_offset,
                                        strnlen(image + phdr.p_offset, phdr.p_filesz));
    } else if (phdr.p_type == PT_NOTE && info->build_id.empty()) {
      scan_notes(elf_getdata_rawchunk(elf, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz,
                                      ELF_T_NHDR),
                 info);
    }
  }
  return Status::ok();
}

}  // namespace

bool is_malloc_family_symbol(std::string_view name) {
  return std::find(std::begin(kMallocFamily), std::end(kMallocFamily), name) !=
         std::end(kMallocFamily);
}

bool ElfInfo::defines(std::string_view symbol) const {
  return std::find(malloc_symbols.begin(), malloc_symbols.end(), symbol) != malloc_symbols.end();
}

StatusOr<ElfInfo> read_elf_info_fd(int fd, const std::string& what) {
  if (elf_version(EV_CURRENT) == EV_NONE) return elf_error(what, "libelf version");
  ElfPtr elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr));
  if (!elf) return elf_error(what, "elf_begin");
  if (elf_kind(elf.get()) != ELF_K_ELF)
    return Status(StatusCode::kInvalidArgument, what + " is not an ELF file");
  // libelf reads what it can of a truncated file without complaint; refuse one whose
  // header tables lie beyond its end (a binary cut short or being rewritten).
  GElf_Ehdr ehdr;
  size_t file_size = 0;
  if (gelf_getehdr(elf.get(), &ehdr) == nullptr || elf_rawfile(elf.get(), &file_size) == nullptr)
    return elf_error(what, "ELF header");
  uint64_t ph_end = ehdr.e_phoff + uint64_t{ehdr.e_phnum} * ehdr.e_phentsize;
  uint64_t sh_end = ehdr.e_shoff + uint64_t{ehdr.e_shnum} * ehdr.e_shentsize;
  if (ph_end > file_size || sh_end > file_size)
    return Status(StatusCode::kCorrupt, "cannot read ELF " + what, "file is truncated");
  ElfInfo info;
  // Segments first: a PT_NOTE build-id is the one the loader maps, if both exist.
  RETURN_IF_ERROR(scan_segments(elf.get(), what, &info));
  RETURN_IF_ERROR(scan_sections(elf.get(), what, &info));
  info.is_static = info.interpreter.empty() && info.needed.empty();
  std::sort(info.malloc_symbols.begin(), info.malloc_symbols.end());
  info.malloc_symbols.erase(std::unique(info.malloc_symbols.begin(), info.malloc_symbols.end()),
                            info.malloc_symbols.end());
  return info;
}

StatusOr<ElfInfo> read_elf_info(const std::string& path) {
  ASSIGN_OR_RETURN(ScopedFd fd, open_readonly(path));
  return read_elf_info_fd(fd.get(), path);
}

}  // namespace leakscope::symbolize
