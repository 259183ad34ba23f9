// Fixture loading for the /proc parser tests: files recorded from a real kernel under
// tests/fixtures/proc/kernel-*/ and hand-made edge cases under tests/fixtures/proc/edge/.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

inline std::string read_fixture(const std::string& rel) {
  std::ifstream in(std::string(LEAKSCOPE_FIXTURES_DIR) + "/proc/" + rel, std::ios::binary);
  if (!in) return "<missing fixture " + rel + ">";
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
