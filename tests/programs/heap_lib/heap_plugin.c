// Shared library for heap_dlopen: allocates from code that was not loaded at start-up.
#include <stdlib.h>

void* volatile heap_plugin_sink;

__attribute__((visibility("default"))) int heap_plugin_work(int n) {
  for (int i = 0; i < n; ++i) heap_plugin_sink = malloc(96);  // leaked: n x 96
  for (int i = 0; i < 100; ++i) free(malloc(32));
  return n;
}
