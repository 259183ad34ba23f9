// ELF + DWARF lookups with libdwfl; see dwarf_module.h.
#include "symbolize/dwarf_module.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace leakscope::symbolize {

// Dwfl keeps a pointer to its callbacks for its whole life, so they live with the module.
struct DwflCallbacksHolder {
  Dwfl_Callbacks cb{};
};

namespace {

std::string hex(const unsigned char* p, int n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

bool is_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

const char* attr_string(Dwarf_Die* die, unsigned int name) {
  Dwarf_Attribute attr;
  return dwarf_formstring(dwarf_attr_integrate(die, name, &attr));
}

// The name a user knows a function by: the demangled linkage name of C++ functions
// (qualified, with parameters, so overloads stay apart), the plain name of C ones.
// Integrated attributes follow DW_AT_abstract_origin and DW_AT_specification, which is
// how inlined instances and out-of-line definitions of class members name themselves.
std::string die_function_name(Dwarf_Die* die) {
  const char* linkage = attr_string(die, DW_AT_linkage_name);
  if (linkage == nullptr) linkage = attr_string(die, DW_AT_MIPS_linkage_name);
  if (linkage != nullptr) return demangle(linkage);
  const char* name = attr_string(die, DW_AT_name);
  return name != nullptr ? name : "";
}

// DW_AT_call_file / DW_AT_call_line of an inlined-subroutine DIE: where, in the function
// it was inlined into, the call stands.
void call_site(Dwarf_Die* inlined, Dwarf_Die* cudie, SourceFrame* frame) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &value) == 0)
    frame->line = static_cast<int64_t>(value);
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &value) == 0 &&
      dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && value < nfiles) {
    const char* file = dwarf_filesrc(files, value, nullptr, nullptr);
    if (file != nullptr) frame->file = file;
  }
}

}  // namespace

std::string demangle(const char* name) {
  if (name == nullptr) return "";
  if (name[0] != '_' || name[1] != 'Z') return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return name;
  std::string result(out);
  std::free(out);
  return result;
}

std::string build_id_debug_path(const std::string& dir, const std::string& build_id) {
  if (build_id.size() < 3) return "";
  return dir + "/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + ".debug";
}

DwarfModule::~DwarfModule() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

Status DwarfModule::report(const std::string& path) {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
  dwfl_ = dwfl_begin(&callbacks_->cb);
  module_ = nullptr;
  if (dwfl_ == nullptr)
    return Status(StatusCode::kInternal, "cannot start libdwfl", dwfl_errmsg(-1));
  dwfl_report_begin(dwfl_);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "cannot open " + path);
  // Base 0 relative to p_vaddr: addresses are the ELF's own (link-time) addresses.
  module_ = dwfl_report_elf(dwfl_, base_name(path).c_str(), path.c_str(), fd, 0, true);
  if (module_ == nullptr) {
    ::close(fd);
    return Status(StatusCode::kCorrupt, "cannot read ELF " + path, dwfl_errmsg(-1));
  }
  if (dwfl_report_end(dwfl_, nullptr, nullptr) != 0)
    return Status(StatusCode::kInternal, "libdwfl report of " + path, dwfl_errmsg(-1));
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int len = dwfl_module_build_id(module_, &bits, &vaddr);
  build_id_ = len > 0 ? hex(bits, len) : "";
  source_path_ = path;
  return Status::ok();
}

StatusOr<std::unique_ptr<DwarfModule>> DwarfModule::open(const std::string& path,
                                                         const std::string& expected_build_id,
                                                         const DwarfModuleOptions& options) {
  std::unique_ptr<DwarfModule> m(new DwarfModule());
  // libdwfl's search path syntax: "+" or "-" (CRC check) then ':'-separated entries; an
  // empty entry means the binary's own folder, ".debug" its .debug subfolder.
  m->debuginfo_path_ = "-:.debug";
  for (const auto& dir : options.debug_dirs) m->debuginfo_path_ += ":" + dir;
  m->debuginfo_path_ptr_ = m->debuginfo_path_.data();
  m->callbacks_ = std::make_unique<DwflCallbacksHolder>();
  m->callbacks_->cb.find_elf = dwfl_build_id_find_elf;
  m->callbacks_->cb.find_debuginfo = dwfl_standard_find_debuginfo;
  m->callbacks_->cb.section_address = dwfl_offline_section_address;
  m->callbacks_->cb.debuginfo_path = &m->debuginfo_path_ptr_;

  Status opened =
      is_file(path) ? m->report(path) : Status(StatusCode::kNotFound, path + " not found");
  if (opened.is_ok() && (expected_build_id.empty() || m->build_id_ == expected_build_id)) return m;
  // The binary is gone or was rebuilt: its separate debug file, found by the recorded
  // build-id, has the same symbols, DWARF and program headers as the original.
  if (!expected_build_id.empty()) {
    for (const auto& dir : options.debug_dirs) {
      std::string debug = build_id_debug_path(dir, expected_build_id);
      if (debug.empty() || !is_file(debug)) continue;
      if (m->report(debug).is_ok() && m->build_id_ == expected_build_id) return m;
    }
  }
  if (!opened.is_ok())
    return Status(StatusCode::kNotFound, path + ": not found",
                  "no debug file for build-id " +
                      (expected_build_id.empty() ? std::string("(none)") : expected_build_id));
  return Status(StatusCode::kInvalidArgument, path + ": binary changed since recording",
                "build-id " + m->build_id_ + ", recorded " + expected_build_id);
}

bool DwarfModule::has_dwarf() const {
  Dwarf_Addr bias = 0;
  return dwfl_module_getdwarf(module_, &bias) != nullptr;
}

std::optional<uint64_t> DwarfModule::address_in_mapping(uint64_t map_offset, uint64_t delta) const {
  GElf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module_, &bias);
  if (elf == nullptr) return std::nullopt;
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) return std::nullopt;
  uint64_t offset = map_offset + delta;
  std::optional<uint64_t> only_exec;
  int exec_segments = 0;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_LOAD)
      continue;
    if (offset >= phdr.p_offset && offset < phdr.p_offset + phdr.p_filesz)
      return offset - phdr.p_offset + phdr.p_vaddr + bias;
    if (phdr.p_flags & PF_X) {
      ++exec_segments;
      only_exec = phdr.p_vaddr;
    }
  }
  // A separate debug file keeps the program headers but zeroes their file offsets and
  // sizes. The loader maps a segment from the page holding its p_offset to the page
  // holding its p_vaddr, so within the (only) executable segment the address is the
  // segment's page-aligned p_vaddr plus the distance from the mapping's start.
  if (exec_segments == 1) {
    uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    return (*only_exec & ~(page - 1)) + delta + bias;
  }
  return std::nullopt;
}

std::vector<SourceFrame> DwarfModule::frames_at(uint64_t addr) const {
  std::vector<SourceFrame> inner_first;
  SourceFrame innermost;
  if (Dwfl_Line* line = dwfl_module_getsrc(module_, addr)) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file != nullptr) innermost.file = file;
    innermost.line = lineno;
  }
  Dwarf_Addr bias = 0;
  Dwarf_Die* cudie = dwfl_module_addrdie(module_, addr, &bias);
  if (cudie != nullptr) {
    // dwarf_getscopes continues from an inlined instance into its abstract definition's
    // parents, not into the function it was inlined into; so only its innermost scope is
    // kept, and the physical nesting comes from that DIE's own parents.
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes(cudie, addr - bias, &scopes);
    if (n > 0) {
      Dwarf_Die innermost_scope = scopes[0];
      std::free(scopes);
      scopes = nullptr;
      n = dwarf_getscopes_die(&innermost_scope, &scopes);
    }
    SourceFrame current = innermost;
    // Scopes run from the innermost lexical block out to the CU; every inlined
    // subroutine is one frame, the enclosing subprogram the last.
    for (int i = 0; i < n; ++i) {
      int tag = dwarf_tag(&scopes[i]);
      if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
      current.function = die_function_name(&scopes[i]);
      inner_first.push_back(current);
      if (tag == DW_TAG_subprogram) break;
      current = SourceFrame{};
      call_site(&scopes[i], cudie, &current);
    }
    std::free(scopes);
  }
  if (inner_first.empty()) inner_first.push_back(innermost);
  // Without DWARF for this address (or an unnamed scope), the symbol table still names
  // the enclosing function.
  SourceFrame& outer = inner_first.back();
  if (outer.function.empty()) {
    GElf_Off offset = 0;
    GElf_Sym sym;
    const char* name =
        dwfl_module_addrinfo(module_, addr, &offset, &sym, nullptr, nullptr, nullptr);
    if (name != nullptr) outer.function = demangle(name);
  }
  if (inner_first.size() == 1 && outer.function.empty() && outer.file.empty()) return {};
  std::reverse(inner_first.begin(), inner_first.end());
  return inner_first;
}

}  // namespace leakscope::symbolize
