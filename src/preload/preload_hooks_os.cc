// The interposed process-level functions: anonymous mmap/munmap/mremap (memory the program
// maps itself; glibc's own mappings for large blocks and thread stacks use internal calls
// and are not seen), the exec family (flush first, and put our variables back into an
// environment the program rebuilt, so the new image is tracked too), and the exits that
// skip our destructor: _exit, _Exit, abort and assert failures.
#include <dlfcn.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/preload.h"

extern char** environ;

namespace leakscope::preload {

void record_mmap(Slot* s, void* p, size_t len, uintptr_t pc0, void* frame) {
  ++s->guard;
  uint32_t stack = capture_stack(s, pc0, frame);
  uint64_t w[2] = {format::record_head(format::RecordKind::kMmap, reinterpret_cast<uintptr_t>(p)),
                   len};
  enter_slot(s);
  append(s, w, 3, now_ts(), stack);
  leave_slot(s);
  --s->guard;
}

void record_munmap(Slot* s, void* p, size_t len) {
  uint64_t w[2] = {format::record_head(format::RecordKind::kMunmap, reinterpret_cast<uintptr_t>(p)),
                   len};
  enter_slot(s);
  append(s, w, 3, now_ts(), 0);
  leave_slot(s);
}

void record_mremap(Slot* s, void* old_p, size_t old_len, void* new_p, size_t new_len,
                   uintptr_t pc0, void* frame) {
  ++s->guard;
  uint32_t stack = capture_stack(s, pc0, frame);
  uint64_t w[4] = {
      format::record_head(format::RecordKind::kMremap, reinterpret_cast<uintptr_t>(new_p)),
      new_len, reinterpret_cast<uintptr_t>(old_p), old_len};
  enter_slot(s);
  append(s, w, 5, now_ts(), stack);
  leave_slot(s);
  --s->guard;
}

void image_ending(format::ExitKind kind) {
  if (g.state.load() != static_cast<int>(State::kActive)) return;
  // A vfork/clone child shares our memory and socket: the parent's image is not ending.
  if (::syscall(SYS_getpid) != g.pid) return;
  GuardScope guard;
  flush_all_slots();
  send_stats();
  send_exit_marker(kind);
}

namespace {

bool ensure_os_functions() {
  if (real.mmap == nullptr) {
    GuardScope guard;
    resolve_real_functions();
  }
  if (g.state.load(std::memory_order_relaxed) == static_cast<int>(State::kUninit)) ensure_init();
  return real.mmap != nullptr;
}

const char* env_value(char* const* envp, const char* name_eq) {
  for (char* const* e = envp; e && *e; ++e)
    if (str_starts(*e, name_eq)) return *e + str_len(name_eq);
  return nullptr;
}

// The environment to exec with: envp itself when it still carries our variables, else a
// copy with them put back (LD_PRELOAD gets our library in front of what it had).
char* const* tracked_env(char* const* envp, void** mapping, size_t* mapping_len) {
  *mapping = nullptr;
  if (g.state.load() != static_cast<int>(State::kActive) || g.library_path[0] == 0) return envp;
  const char* preload = env_value(envp, "LD_PRELOAD=");
  const char* socket = env_value(envp, "LEAKSCOPE_HEAP_SOCKET=");
  if (socket && preload && strstr(preload, g.library_path)) return envp;
  size_t count = 0, preload_len = preload ? str_len(preload) : 0;
  for (char* const* e = envp; e && *e; ++e) ++count;
  size_t strings = 32 + str_len(g.library_path) + preload_len + 64 + str_len(g.socket_path) + 64 +
                   str_len(g.mode_text);
  size_t bytes = (count + 4) * sizeof(char*) + strings;
  auto* base = static_cast<char*>(map_pages(bytes));
  if (base == nullptr) return envp;
  auto** out = reinterpret_cast<char**>(base);
  char* text = base + (count + 4) * sizeof(char*);
  size_t n = 0;
  for (char* const* e = envp; e && *e; ++e)
    if (!str_starts(*e, "LD_PRELOAD=") && !str_starts(*e, "LEAKSCOPE_HEAP_SOCKET=") &&
        !str_starts(*e, "LEAKSCOPE_HEAP_MODE="))
      out[n++] = *e;
  auto add = [&](const char* a, const char* b, const char* c, const char* d) {
    out[n++] = text;
    for (const char* part : {a, b, c, d})
      if (part) text += str_copy(text, strings, part);
    *text++ = 0;
  };
  add("LD_PRELOAD=", g.library_path, preload && *preload ? ":" : nullptr, preload);
  add("LEAKSCOPE_HEAP_SOCKET=", g.socket_path, nullptr, nullptr);
  add("LEAKSCOPE_HEAP_MODE=", g.mode_text, nullptr, nullptr);
  out[n] = nullptr;
  *mapping = base;
  *mapping_len = bytes;
  return out;
}

struct EnvScope {
  explicit EnvScope(char* const* envp) { env = tracked_env(envp, &mapping, &len); }
  ~EnvScope() {
    if (mapping) unmap_pages(mapping, len);
  }
  char* const* env;
  void* mapping;
  size_t len = 0;
};

// execl-style argument lists as an argv array (on the stack; bounded like the kernel's).
#define LS_COLLECT_ARGS(first, out, envp_out)                      \
  va_list ap;                                                      \
  va_start(ap, first);                                             \
  size_t argc = 1;                                                 \
  {                                                                \
    va_list count_ap;                                              \
    va_copy(count_ap, ap);                                         \
    while (va_arg(count_ap, char*) != nullptr && argc < 65536) ++argc; \
    va_end(count_ap);                                              \
  }                                                                \
  char** out = static_cast<char**>(__builtin_alloca((argc + 1) * sizeof(char*))); \
  out[0] = const_cast<char*>(first);                               \
  for (size_t i = 1; i < argc; ++i) out[i] = va_arg(ap, char*);    \
  out[argc] = nullptr;                                             \
  envp_out;                                                        \
  va_end(ap)

int (*g_posix_spawn)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                     const posix_spawnattr_t*, char* const[], char* const[]);
int (*g_posix_spawnp)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                      const posix_spawnattr_t*, char* const[], char* const[]);

}  // namespace
}  // namespace leakscope::preload

using namespace leakscope::preload;
using leakscope::format::ExitKind;

#define LS_PC0 reinterpret_cast<uintptr_t>(__builtin_return_address(0))
#define LS_FRAME __builtin_frame_address(0)

// ---- anonymous memory

namespace {
// The slot for an mmap-family call, or nullptr: not recorded. A call from the allocator's
// own code (jemalloc, tcmalloc; glibc's malloc maps through internal calls we never see)
// maps its backing memory, which its malloc and free events already account for: recorded
// too, the heap would count twice and the allocator's extent code would rank as a site.
// Never allocates (an allocator may call mmap while holding its own lock).
inline Slot* os_hook_slot(uintptr_t caller) {
  if (caller - g.allocator_text_lo < g.allocator_text_size) return nullptr;
  return hook_slot(/*may_allocate=*/false);
}
}  // namespace

LS_EXPORT void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (LS_UNLIKELY(!ensure_os_functions())) return MAP_FAILED;
  void* p = real.mmap(addr, len, prot, flags, fd, off);
  if (p != MAP_FAILED)
    if (Slot* s = os_hook_slot(LS_PC0)) {
      if (flags & MAP_ANONYMOUS) record_mmap(s, p, len, LS_PC0, LS_FRAME);
      else if (flags & MAP_FIXED) record_munmap(s, p, len);  // a file mapped over what was there
    }
  return p;
}

LS_EXPORT void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (LS_UNLIKELY(!ensure_os_functions())) return MAP_FAILED;
  void* p = real.mmap(addr, len, prot, flags, fd, off);
  if (p != MAP_FAILED)
    if (Slot* s = os_hook_slot(LS_PC0)) {
      if (flags & MAP_ANONYMOUS) record_mmap(s, p, len, LS_PC0, LS_FRAME);
      else if (flags & MAP_FIXED) record_munmap(s, p, len);
    }
  return p;
}

LS_EXPORT int munmap(void* addr, size_t len) {
  if (LS_UNLIKELY(!ensure_os_functions())) return -1;
  // Recorded before the call: the range may be mapped again at once by another thread.
  if (Slot* s = os_hook_slot(LS_PC0)) record_munmap(s, addr, len);
  return real.munmap(addr, len);
}

LS_EXPORT void* mremap(void* old_addr, size_t old_len, size_t new_len, int flags, ...) {
  if (LS_UNLIKELY(!ensure_os_functions())) return MAP_FAILED;
  void* new_addr = nullptr;
  if (flags & MREMAP_FIXED) {
    va_list ap;
    va_start(ap, flags);
    new_addr = va_arg(ap, void*);
    va_end(ap);
  }
  void* p = real.mremap(old_addr, old_len, new_len, flags, new_addr);
  if (p != MAP_FAILED)
    if (Slot* s = os_hook_slot(LS_PC0))
      record_mremap(s, old_addr, old_len, p, new_len, LS_PC0, LS_FRAME);
  return p;
}

// ---- exec

LS_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  ensure_os_functions();
  image_ending(ExitKind::kExec);
  EnvScope env(envp);
  return real.execve(path, argv, env.env);
}

LS_EXPORT int execv(const char* path, char* const argv[]) {
  ensure_os_functions();
  image_ending(ExitKind::kExec);
  EnvScope env(environ);
  return real.execve(path, argv, env.env);
}

LS_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  ensure_os_functions();
  image_ending(ExitKind::kExec);
  EnvScope env(envp);
  return real.execvpe(file, argv, env.env);
}

LS_EXPORT int execvp(const char* file, char* const argv[]) {
  ensure_os_functions();
  image_ending(ExitKind::kExec);
  EnvScope env(environ);
  return real.execvpe(file, argv, env.env);
}

LS_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  ensure_os_functions();
  image_ending(ExitKind::kExec);
  EnvScope env(envp);
  return real.fexecve(fd, argv, env.env);
}

LS_EXPORT int execl(const char* path, const char* arg, ...) {
  ensure_os_functions();
  LS_COLLECT_ARGS(arg, argv, (void)0);
  image_ending(ExitKind::kExec);
  EnvScope env(environ);
  return real.execve(path, argv, env.env);
}

LS_EXPORT int execlp(const char* file, const char* arg, ...) {
  ensure_os_functions();
  LS_COLLECT_ARGS(arg, argv, (void)0);
  image_ending(ExitKind::kExec);
  EnvScope env(environ);
  return real.execvpe(file, argv, env.env);
}

LS_EXPORT int execle(const char* path, const char* arg, ...) {
  ensure_os_functions();
  char* const* envp = nullptr;
  LS_COLLECT_ARGS(arg, argv, envp = va_arg(ap, char* const*));
  image_ending(ExitKind::kExec);
  EnvScope env(envp);
  return real.execve(path, argv, env.env);
}

LS_EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* fa,
                          const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  if (g_posix_spawn == nullptr) {
    GuardScope guard;
    g_posix_spawn = reinterpret_cast<decltype(g_posix_spawn)>(::dlsym(RTLD_NEXT, "posix_spawn"));
  }
  EnvScope env(envp);
  return g_posix_spawn(pid, path, fa, attr, argv, env.env);
}

LS_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* fa,
                           const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  if (g_posix_spawnp == nullptr) {
    GuardScope guard;
    g_posix_spawnp = reinterpret_cast<decltype(g_posix_spawnp)>(::dlsym(RTLD_NEXT, "posix_spawnp"));
  }
  EnvScope env(envp);
  return g_posix_spawnp(pid, file, fa, attr, argv, env.env);
}

// ---- exits that bypass our destructor

LS_EXPORT void _exit(int status) {
  ensure_os_functions();
  image_ending(ExitKind::kUnderscoreExit);
  if (real.exit_) real.exit_(status);
  ::syscall(SYS_exit_group, status);
  __builtin_unreachable();
}

LS_EXPORT void _Exit(int status) {
  ensure_os_functions();
  image_ending(ExitKind::kUnderscoreExit);
  if (real.exit_) real.exit_(status);
  ::syscall(SYS_exit_group, status);
  __builtin_unreachable();
}

LS_EXPORT void abort() noexcept {
  ensure_os_functions();
  image_ending(ExitKind::kAbort);
  if (real.abort) real.abort();
  ::syscall(SYS_kill, ::syscall(SYS_getpid), SIGABRT);
  ::syscall(SYS_exit_group, 134);
  __builtin_unreachable();
}

LS_EXPORT void __assert_fail(const char* assertion, const char* file, unsigned line,
                             const char* function) {
  ensure_os_functions();
  image_ending(ExitKind::kAssert);
  if (real.assert_fail) real.assert_fail(assertion, file, line, function);
  ::syscall(SYS_exit_group, 134);
  __builtin_unreachable();
}
