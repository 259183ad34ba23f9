// Clock helpers; see time_util.h.
#include "base/time_util.h"

#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace leakscope {
namespace {
int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}
}  // namespace

int64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }
int64_t realtime_ns() { return clock_ns(CLOCK_REALTIME); }
int64_t process_cpu_ns() { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }
int64_t boot_time_ns() { return clock_ns(CLOCK_BOOTTIME); }

int64_t clock_ticks_per_second() {
  static const int64_t kTicks = [] {
    long t = sysconf(_SC_CLK_TCK);
    return t > 0 ? static_cast<int64_t>(t) : 100;
  }();
  return kTicks;
}

std::string format_utc(int64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1000000000LL);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  return buf;
}

bool parse_duration_ns(const std::string& text, int64_t* out_ns) {
  if (text.empty()) return false;
  const char* p = text.c_str();
  double total = 0;
  bool any = false;
  while (*p) {
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p || v < 0) return false;
    p = end;
    double unit = 1e9;
    if (*p == 0) {
      if (any) return false;  // "1h30" is ambiguous
    } else if (p[0] == 'm' && p[1] == 's') {
      unit = 1e6;
      p += 2;
    } else if (p[0] == 'u' && p[1] == 's') {
      unit = 1e3;
      p += 2;
    } else if (*p == 's') {
      unit = 1e9;
      ++p;
    } else if (*p == 'm') {
      unit = 60e9;
      ++p;
    } else if (*p == 'h') {
      unit = 3600e9;
      ++p;
    } else if (*p == 'd') {
      unit = 86400e9;
      ++p;
    } else {
      return false;
    }
    total += v * unit;
    any = true;
  }
  if (total > 9.2e18) return false;
  *out_ns = static_cast<int64_t>(total);
  return true;
}

}  // namespace leakscope
