// Clocks used by the recorder. Sample times are taken from CLOCK_MONOTONIC (immune to
// wall-clock steps) and stored relative to the recording's start; the start's wall-clock
// time is stored once so that `leakscope mark` from another process can place itself.
#pragma once

#include <cstdint>
#include <string>

namespace leakscope {

int64_t monotonic_ns();
int64_t realtime_ns();
int64_t process_cpu_ns();  // CPU time of this process (all threads), for self-overhead
int64_t boot_time_ns();    // CLOCK_BOOTTIME, the clock /proc/PID/stat start times use

// Clock ticks per second (sysconf(_SC_CLK_TCK)), cached.
int64_t clock_ticks_per_second();

// "2026-11-22T10:11:12Z" from nanoseconds since the epoch.
std::string format_utc(int64_t unix_ns);

// Parses "10m", "90s", "1h30m", "250ms", "2.5s", a bare number meaning seconds.
// Returns false on anything else.
bool parse_duration_ns(const std::string& text, int64_t* out_ns);

}  // namespace leakscope
