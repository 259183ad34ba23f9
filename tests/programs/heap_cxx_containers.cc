// Heap test program: standard containers growing and shrinking (vector, string, map,
// unordered_map), all destroyed, plus a vector of strings that is leaked through a raw
// pointer. libstdc++'s own start-up allocation (its exception emergency pool) is never
// freed and counts as still allocated at exit, as valgrind counts it without freeres.
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

std::vector<std::string>* volatile g_leaked;

int main() {
  {
    std::vector<int> v;
    for (int i = 0; i < 10000; ++i) v.push_back(i);
    std::map<int, std::string> m;
    for (int i = 0; i < 500; ++i) m[i] = std::string(40, 'x');
    std::unordered_map<std::string, int> u;
    for (int i = 0; i < 500; ++i) u["key-number-" + std::to_string(i)] = i;
  }
  auto* leaked = new std::vector<std::string>();
  for (int i = 0; i < 20; ++i) leaked->push_back(std::string(100, 'y'));
  g_leaked = leaked;
  std::printf("heap_cxx_containers done\n");
  return 0;
}
