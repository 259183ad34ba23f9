// For the heap test programs that start or load another file built next to them.
#pragma once

#include <stdio.h>
#include <string.h>

// out = the folder of argv0 + "/" + name (or just name when argv0 has no folder).
static inline void sibling_path(char* out, size_t cap, const char* argv0, const char* name) {
  const char* slash = strrchr(argv0, '/');
  int dir_len = slash ? (int)(slash - argv0 + 1) : 0;
  snprintf(out, cap, "%.*s%s", dir_len, argv0, name);
}
