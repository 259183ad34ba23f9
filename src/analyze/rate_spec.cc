// Parsing and printing of growth rates; see rate_spec.h.
#include "analyze/rate_spec.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace leakscope::analyze {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string strip(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

Status bad_rate(const std::string& text, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, "bad rate '" + text + "'", why,
                "write it like 100KiB/min, 2MiB/s, 5fds/min or 1threads/h");
}

// Three significant digits: rates are compared to 10% in reports, one decimal is too coarse.
std::string three_digits(double v) {
  double a = std::fabs(v);
  char buf[32];
  if (a >= 100 || a == 0) std::snprintf(buf, sizeof(buf), "%.0f", a);
  else if (a >= 10) std::snprintf(buf, sizeof(buf), "%.1f", a);
  else std::snprintf(buf, sizeof(buf), "%.2f", a);
  return buf;
}

}  // namespace

StatusOr<Rate> parse_rate(const std::string& text) {
  std::string t = strip(text);
  if (t.empty()) return bad_rate(text, "empty");
  const char* begin = t.c_str();
  char* end = nullptr;
  double value = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(value)) return bad_rate(text, "no number");
  std::string rest = lower(strip(std::string(end)));
  Rate r;
  if (rest.empty()) {
    if (value != 0) return bad_rate(text, "no unit");
    return r;
  }
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return bad_rate(text, "no time unit after '/'");
  std::string amount = strip(rest.substr(0, slash));
  std::string per = strip(rest.substr(slash + 1));
  double seconds = 0;
  if (per == "s" || per == "sec") seconds = 1;
  else if (per == "min" || per == "m") seconds = 60;
  else if (per == "h" || per == "hour") seconds = 3600;
  else return bad_rate(text, "unknown time unit '" + per + "'");
  double scale = 1;
  if (amount.empty() || amount == "b") {
    r.unit = amount.empty() ? RateUnit::kAny : RateUnit::kBytes;
    if (amount.empty() && value != 0) return bad_rate(text, "no unit before '/'");
  } else if (amount == "k" || amount == "kb" || amount == "kib") {
    r.unit = RateUnit::kBytes;
    scale = 1024.0;
  } else if (amount == "m" || amount == "mb" || amount == "mib") {
    r.unit = RateUnit::kBytes;
    scale = 1024.0 * 1024.0;
  } else if (amount == "g" || amount == "gb" || amount == "gib") {
    r.unit = RateUnit::kBytes;
    scale = 1024.0 * 1024.0 * 1024.0;
  } else if (amount == "fd" || amount == "fds") {
    r.unit = RateUnit::kFds;
  } else if (amount == "thread" || amount == "threads") {
    r.unit = RateUnit::kThreads;
  } else {
    return bad_rate(text, "unknown unit '" + amount + "'");
  }
  r.per_s = value * scale / seconds;
  return r;
}

RateUnit unit_of_series(const std::string& series) {
  if (series == "fds") return RateUnit::kFds;
  if (series == "threads") return RateUnit::kThreads;
  return RateUnit::kBytes;
}

bool rate_fits_series(const Rate& rate, const std::string& series) {
  return rate.unit == RateUnit::kAny || rate.unit == unit_of_series(series);
}

double count_rate_per_min(double per_s) {
  double per_min = per_s * 60.0;
  return std::fabs(per_min) < 0.005 ? 0.0 : per_min;
}

std::string format_rate(double per_s, RateUnit unit) {
  double per_min = per_s * 60.0;
  if (unit == RateUnit::kFds || unit == RateUnit::kThreads) {
    per_min = count_rate_per_min(per_s);
    return (per_min < 0 ? "-" : "+") + three_digits(per_min) +
           (unit == RateUnit::kFds ? " fds/min" : " threads/min");
  }
  std::string sign = per_s < 0 ? "-" : "+";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = std::fabs(per_min);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  return sign + three_digits(v) + " " + units[u] + "/min";
}

std::string format_series_rate(double per_s, const std::string& series) {
  return format_rate(per_s, unit_of_series(series));
}

std::string format_series_amount(double per_s, const std::string& series) {
  std::string s = format_series_rate(per_s, series);
  return s[0] == '+' ? s.substr(1) : s;
}

}  // namespace leakscope::analyze
