// Target for the symboliser tests: prints its executable mappings and return addresses
// taken at known places (function, file:line, inline chain), so a test can symbolise them
// and compare with what the source says. Output lines:
//   map <start> <end> <offset> <path>
//   pc <label> <hex address> <line>     (a return address; <line> = line of the call)
//   fn <label> <hex address>            (a function's entry address, not a return address)
#include <cstdio>
#include <cstdlib>
#include <cstring>

static void* volatile g_sink;

// The return address into the caller: the instruction after the call to where().
extern "C" __attribute__((noinline)) void* where() {
  void* r = __builtin_return_address(0);
  g_sink = r;
  return r;
}

static inline __attribute__((always_inline)) void* inlined_leaf(int* line) {
  *line = __LINE__ + 1;
  void* r = where();
  g_sink = r;
  return r;
}

static inline __attribute__((always_inline)) void* inlined_middle(int* leaf_line,
                                                                  int* call_line) {
  *call_line = __LINE__ + 1;
  void* r = inlined_leaf(leaf_line);
  g_sink = r;
  return r;
}

namespace demo {
struct Widget {
  static void* make(int n, int* line);
};

__attribute__((noinline)) void* Widget::make(int n, int* line) {
  *line = __LINE__ + 1;
  void* r = where();
  g_sink = reinterpret_cast<char*>(r) + n - n;
  return r;
}
}  // namespace demo

extern "C" __attribute__((noinline)) void* plain_caller(int* line) {
  *line = __LINE__ + 1;
  void* r = where();
  g_sink = r;
  return r;
}

// Two levels of inlining into a real function: outer_function <- inlined_middle <-
// inlined_leaf -> where().
extern "C" __attribute__((noinline)) void* outer_function(int* leaf_line, int* middle_line,
                                                          int* outer_line) {
  *outer_line = __LINE__ + 1;
  void* r = inlined_middle(leaf_line, middle_line);
  g_sink = r;
  return r;
}

int main() {
  FILE* maps = std::fopen("/proc/self/maps", "re");
  if (maps == nullptr) return 1;
  char line[4096];
  while (std::fgets(line, sizeof(line), maps) != nullptr) {
    unsigned long start = 0, end = 0, offset = 0;
    char perms[8] = {0};
    int path_at = 0;
    if (std::sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &offset,
                    &path_at) < 4)
      continue;
    if (perms[2] != 'x' || line[path_at] != '/') continue;
    line[std::strcspn(line, "\n")] = 0;
    std::printf("map %lx %lx %lx %s\n", start, end, offset, line + path_at);
  }
  std::fclose(maps);

  int leaf = 0, middle = 0, outer = 0;
  void* pc = outer_function(&leaf, &middle, &outer);
  std::printf("pc inline %p %d %d %d\n", pc, leaf, middle, outer);
  int plain = 0, member = 0;
  pc = plain_caller(&plain);
  std::printf("pc plain %p %d\n", pc, plain);
  pc = demo::Widget::make(3, &member);
  std::printf("pc member %p %d\n", pc, member);
  // An exported libc function (not a return address): the symbol table names it.
  std::printf("fn qsort %p\n", reinterpret_cast<void*>(&std::qsort));
  return 0;
}
