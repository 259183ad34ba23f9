// String helpers shared by the parsers and the CLI (no locale, no allocations on the
// parse paths beyond what the caller hands in).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace leakscope {

// Parses a non-negative decimal integer; stops at the first non-digit. Returns false if
// there is no digit or on overflow.
bool parse_u64(std::string_view text, uint64_t* out);
bool parse_i64(std::string_view text, int64_t* out);

std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
bool starts_with(std::string_view s, std::string_view prefix);

// "12.3 MiB", "512 KiB", "3 B" (binary units, one decimal above KiB).
std::string format_bytes(double bytes);
// Signed rate as "+3.0 MiB/min".
std::string format_byte_rate_per_min(double bytes_per_s);

// Parses "100KiB", "2MB", "512k", "1g", a bare number = bytes. Binary units for k/m/g.
bool parse_bytes(const std::string& text, uint64_t* out);

// Joins argv-like words into one shell-readable line ("a 'b c'").
std::string shell_join(const std::vector<std::string>& words);

}  // namespace leakscope
