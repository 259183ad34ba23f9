// The heap test programs (tests/programs/heap_*) the heap end-to-end tests run, with the
// arguments they run them with.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace leakscope::e2e {

struct HeapProgram {
  std::string name;
  std::vector<std::string> args;
};

inline std::ostream& operator<<(std::ostream& os, const HeapProgram& p) { return os << p.name; }

inline std::string heap_program_name(const ::testing::TestParamInfo<HeapProgram>& info) {
  return info.param.name;
}

// The programs valgrind can run to the end (pvalloc left out: valgrind 3.19 aborts at it)
// and whose allocator LD_PRELOAD can interpose.
inline std::vector<HeapProgram> heap_programs_valgrind_can_check() {
  return {{"heap_basic", {}},        {"heap_realloc_chain", {}},  {"heap_calloc", {}},
          {"heap_aligned", {"no-pvalloc"}}, {"heap_new_delete", {}}, {"heap_cxx_containers", {}},
          {"heap_threads", {}},      {"heap_many_threads", {}},   {"heap_fork", {}},
          {"heap_fork_exec", {}},    {"heap_vfork", {}},          {"heap_posix_spawn", {}},
          {"heap_exec_self", {}},    {"heap_env_cleared", {}},    {"heap_underscore_exit", {}},
          {"heap_abort", {}},        {"heap_signal_exit", {}},    {"heap_dlopen", {}},
          {"heap_libc_internal", {}}, {"heap_mmap", {}},          {"heap_leak_ranking", {"0.5"}},
          {"heap_nopie", {}},        {"heap_thread_handoff", {}}};
}

// Every heap test program.
inline std::vector<HeapProgram> all_heap_programs() {
  auto all = heap_programs_valgrind_can_check();
  all.push_back({"heap_aligned", {}});
  all.push_back({"heap_sigkill", {}});
  all.push_back({"heap_own_malloc", {}});
  all.push_back({"heap_static", {}});
  return all;
}

}  // namespace leakscope::e2e
