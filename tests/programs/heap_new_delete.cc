// Heap test program: every operator new/delete form — plain, array, nothrow, sized delete,
// aligned (C++17) and aligned nothrow — each used once with its matching delete and once
// leaked: 40 + 80 + 12 + 24 + 64 + 256 + 128 + 512 bytes leaked in 8 blocks.
#include <cstdio>
#include <new>

struct alignas(64) Aligned {
  char bytes[64];
};
struct alignas(128) Wide {
  char bytes[256];
};

void* volatile g_sink;

int main() {
  for (int keep = 0; keep < 2; ++keep) {
    auto* a = new long[5];                              // 40, new[]
    auto* b = new char[80];                             // 80
    auto* c = new (std::nothrow) int[3];                // 12, nothrow new[]
    auto* d = new (std::nothrow) char[24];              // 24
    auto* e = new Aligned;                              // 64, aligned new
    auto* f = new Wide;                                 // 256, aligned new
    void* g = ::operator new(128, std::align_val_t(64), std::nothrow);  // aligned nothrow
    void* h = ::operator new(512);                      // plain new
    // Publishing every pointer keeps the compiler from eliding new/delete pairs.
    g_sink = a; g_sink = b; g_sink = c; g_sink = d; g_sink = e; g_sink = f; g_sink = g;
    g_sink = h;
    if (!keep) {
      delete[] a;
      delete[] b;
      delete[] c;
      delete[] d;
      delete e;
      delete f;
      ::operator delete(g, std::align_val_t(64), std::nothrow);
      ::operator delete(h, 512);  // sized delete
    }
  }
  std::printf("heap_new_delete done\n");
  return 0;
}
