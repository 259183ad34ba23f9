// Executable mappings of every loaded object (dl_iterate_phdr: start, end, file offset,
// path and the GNU build-id read from the PT_NOTE segment in memory), sent so that pcs can
// be symbolised after the run even when the process and a dlclose'd library are gone. Sent
// at start-up and again whenever the loader's object count changed before a new stack is
// interned (a dlopen'd library's first allocation) and at each flusher pass — dlopen itself
// is not wrapped, since glibc resolves $ORIGIN and RPATH from dlopen's caller.
#include <elf.h>
#include <link.h>
#include <string.h>

#include "preload/preload.h"

namespace leakscope::preload {
namespace {

SpinLock g_modules_lock;
std::atomic<unsigned long long> g_sent_adds{0};
alignas(8) char g_module_buf[format::kMaxMessageBytes];

struct Builder {
  size_t used = sizeof(format::ModulesHeader);
  uint32_t count = 0;
  bool first = true;
};

void send_built(Builder* b) {
  if (b->count == 0) return;
  auto* h = reinterpret_cast<format::ModulesHeader*>(g_module_buf);
  *h = {};
  h->header.type = static_cast<uint16_t>(format::MsgType::kModules);
  h->header.bytes = static_cast<uint32_t>(b->used);
  h->count = b->count;
  send_message(g_module_buf, b->used, nullptr, 0, 0);
  b->used = sizeof(format::ModulesHeader);
  b->count = 0;
}

size_t read_build_id(const struct dl_phdr_info* info, const uint8_t** out) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    auto p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    auto end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      auto n = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const uint8_t* name = p + sizeof(*n);
      const uint8_t* desc = name + ((n->n_namesz + 3) & ~3U);
      if (desc + n->n_descsz > end) break;
      if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
        *out = desc;
        return n->n_descsz;
      }
      p = desc + ((n->n_descsz + 3) & ~3U);
    }
  }
  return 0;
}

int add_object(struct dl_phdr_info* info, size_t, void* data) {
  auto* b = static_cast<Builder*>(data);
  const char* path = info->dlpi_name;
  bool main_program = b->first;
  b->first = false;
  if (main_program && (path == nullptr || *path == 0)) path = g.exe_path;
  if (path == nullptr || *path == 0 || str_starts(path, "linux-vdso") || str_starts(path, "linux-gate"))
    return 0;
  const uint8_t* build_id = nullptr;
  size_t build_id_len = read_build_id(info, &build_id);
  if (build_id_len > 64) build_id_len = 0;
  size_t path_len = str_len(path);
  if (path_len > 1024) path_len = 1024;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    size_t need = format::align8(sizeof(format::ModuleEntry) + path_len + build_id_len);
    if (b->used + need > sizeof(g_module_buf)) send_built(b);
    format::ModuleEntry e = {};
    uint64_t page_mask = ~uint64_t{4095};
    e.start = (info->dlpi_addr + ph.p_vaddr) & page_mask;
    e.end = info->dlpi_addr + ph.p_vaddr + ph.p_memsz;
    e.file_offset = ph.p_offset & page_mask;
    e.path_len = static_cast<uint16_t>(path_len);
    e.build_id_len = static_cast<uint16_t>(build_id_len);
    char* out = g_module_buf + b->used;
    memcpy(out, &e, sizeof(e));
    memcpy(out + sizeof(e), path, path_len);
    if (build_id_len) memcpy(out + sizeof(e) + path_len, build_id, build_id_len);
    memset(out + sizeof(e) + path_len + build_id_len, 0,
           need - sizeof(e) - path_len - build_id_len);
    b->used += need;
    b->count += 1;
  }
  return 0;
}

// The executable segment holding the real malloc.
int find_text_of(struct dl_phdr_info* info, size_t, void* data) {
  auto target = *static_cast<uintptr_t*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (target - lo < ph.p_memsz) {
      g.allocator_text_lo = lo;
      g.allocator_text_size = ph.p_memsz;
      return 1;
    }
  }
  return 0;
}

int read_adds(struct dl_phdr_info* info, size_t size, void* data) {
  if (size >= offsetof(struct dl_phdr_info, dlpi_subs))
    *static_cast<unsigned long long*>(data) = info->dlpi_adds;
  return 1;  // the counter is the same in every entry: stop at the first
}

}  // namespace

void send_modules() {
  GuardScope guard;
  g_modules_lock.lock();
  unsigned long long adds = 0;
  ::dl_iterate_phdr(read_adds, &adds);
  Builder b;
  ::dl_iterate_phdr(add_object, &b);
  send_built(&b);
  g_sent_adds.store(adds, std::memory_order_relaxed);
  g_modules_lock.unlock();
}

void find_allocator_text() {
  if (real.malloc == nullptr) return;
  auto target = reinterpret_cast<uintptr_t>(real.malloc);
  ::dl_iterate_phdr(find_text_of, &target);
}

void send_modules_if_changed() {
  unsigned long long adds = 0;
  ::dl_iterate_phdr(read_adds, &adds);
  if (adds != g_sent_adds.load(std::memory_order_relaxed)) send_modules();
}

}  // namespace leakscope::preload
