// Does the program's malloc reach us? Only if no object ahead of this library in the
// loader's global search order *defines* malloc (the program itself, or a library preloaded
// before us, such as an allocator). dlsym(RTLD_DEFAULT) cannot answer it: in a non-PIE
// executable that takes malloc's address, the executable's dynamic symbol table lists malloc
// as undefined with the address of its own PLT stub (a "canonical PLT entry"), dlsym
// returns that stub, and the stub jumps to us. Debian's python3 and node are built that way.
// So each object ahead of us is asked, through its own hash table, whether it defines the
// symbol: an undefined entry, whatever its address, is not a definition.
#include <elf.h>
#include <link.h>
#include <string.h>

#include "preload/preload.h"

namespace leakscope::preload {
namespace {

// The dynamic symbol tables of one loaded object, as the loader sees them.
struct DynamicTables {
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  const uint32_t* gnu_hash = nullptr;
  const uint32_t* sysv_hash = nullptr;
};

DynamicTables dynamic_tables(const struct dl_phdr_info* info) {
  DynamicTables t;
  const ElfW(Dyn)* dyn = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      dyn = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  if (dyn == nullptr) return t;
  // glibc relocates these entries in place where the dynamic section is writable (x86-64);
  // where it is not (the vDSO) they are still offsets from the load address.
  auto address = [&](ElfW(Addr) v) -> uintptr_t {
    return v < info->dlpi_addr ? info->dlpi_addr + v : v;
  };
  for (; dyn->d_tag != DT_NULL; ++dyn) {
    uintptr_t at = address(dyn->d_un.d_ptr);
    switch (dyn->d_tag) {
      case DT_SYMTAB: t.symtab = reinterpret_cast<const ElfW(Sym)*>(at); break;
      case DT_STRTAB: t.strtab = reinterpret_cast<const char*>(at); break;
      case DT_GNU_HASH: t.gnu_hash = reinterpret_cast<const uint32_t*>(at); break;
      case DT_HASH: t.sysv_hash = reinterpret_cast<const uint32_t*>(at); break;
      default: break;
    }
  }
  return t;
}

bool is_definition(const DynamicTables& t, uint32_t index, const char* name) {
  const ElfW(Sym)& s = t.symtab[index];
  return s.st_shndx != SHN_UNDEF && s.st_value != 0 && strcmp(t.strtab + s.st_name, name) == 0;
}

// Every entry named `name` is visited (an object may hold several versions of it).
bool defines_gnu(const DynamicTables& t, const char* name) {
  uint32_t h = 5381;
  for (const char* c = name; *c; ++c) h = h * 33 + static_cast<uint8_t>(*c);
  uint32_t buckets_count = t.gnu_hash[0], first_symbol = t.gnu_hash[1];
  uint32_t bloom_words = t.gnu_hash[2];
  if (buckets_count == 0) return false;
  auto bloom = reinterpret_cast<const ElfW(Addr)*>(t.gnu_hash + 4);
  const uint32_t* buckets = reinterpret_cast<const uint32_t*>(bloom + bloom_words);
  const uint32_t* chain = buckets + buckets_count;
  uint32_t i = buckets[h % buckets_count];
  if (i < first_symbol) return false;
  for (;; ++i) {
    uint32_t entry = chain[i - first_symbol];
    if ((entry | 1) == (h | 1) && is_definition(t, i, name)) return true;
    if (entry & 1) return false;
  }
}

bool defines_sysv(const DynamicTables& t, const char* name) {
  uint32_t h = 0;
  for (const char* c = name; *c; ++c) {
    h = (h << 4) + static_cast<uint8_t>(*c);
    uint32_t top = h & 0xf0000000U;
    if (top) h ^= top >> 24;
    h &= ~top;
  }
  uint32_t buckets_count = t.sysv_hash[0], chain_count = t.sysv_hash[1];
  if (buckets_count == 0) return false;
  const uint32_t* buckets = t.sysv_hash + 2;
  const uint32_t* chain = buckets + buckets_count;
  for (uint32_t i = buckets[h % buckets_count]; i != STN_UNDEF && i < chain_count; i = chain[i])
    if (is_definition(t, i, name)) return true;
  return false;
}

struct Search {
  uintptr_t self_base = 0;
  const char* name = nullptr;
  bool reached_self = false;
  bool defined_ahead = false;
};

// dl_iterate_phdr visits the objects in load order, which is the global search order.
int visit(struct dl_phdr_info* info, size_t, void* data) {
  auto* s = static_cast<Search*>(data);
  if (info->dlpi_addr == s->self_base) {
    s->reached_self = true;
    return 1;
  }
  DynamicTables t = dynamic_tables(info);
  if (t.symtab == nullptr || t.strtab == nullptr) return 0;
  bool defined = t.gnu_hash ? defines_gnu(t, s->name) : t.sysv_hash && defines_sysv(t, s->name);
  if (defined) {
    s->defined_ahead = true;
    return 1;
  }
  return 0;
}

}  // namespace

bool check_interposed() {
  Dl_info mine = {};
  if (!::dladdr(reinterpret_cast<void*>(&check_interposed), &mine)) return true;
  Search s;
  // dlpi_addr is the load bias; for a shared library it equals the base dladdr reports.
  s.self_base = reinterpret_cast<uintptr_t>(mine.dli_fbase);
  s.name = "malloc";
  ::dl_iterate_phdr(visit, &s);
  return !s.defined_ahead;
}

}  // namespace leakscope::preload
