// Secret masking; see secrets.h. Every rule marks byte ranges of the original text, and
// the ranges are replaced once at the end, so one rule never re-reads another's output.
#include "report/secrets.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <utility>

namespace leakscope::report {
namespace {

using Range = std::pair<size_t, size_t>;  // [begin, end)

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_key_char(char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; }
// Characters of a token-like run: base62 plus the separators API keys use. '/' splits, so
// a path's components are judged one by one.
bool is_run_char(char c) { return is_alnum(c) || c == '_' || c == '-' || c == '+' || c == '='; }
bool value_end(char c) {
  return is_space(c) || c == '&' || c == ';' || c == ',' || c == '\'' || c == '"';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits a key into lower-case words at '-', '_', '.', spaces and camelCase humps.
std::vector<std::string> key_words(std::string_view key) {
  std::vector<std::string> words;
  std::string cur;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (!is_alnum(c)) {
      if (!cur.empty()) words.push_back(lower(cur));
      cur.clear();
      continue;
    }
    bool hump = !cur.empty() && std::isupper(static_cast<unsigned char>(c)) &&
                std::islower(static_cast<unsigned char>(cur.back()));
    if (hump) {
      words.push_back(lower(cur));
      cur.clear();
    }
    cur += c;
  }
  if (!cur.empty()) words.push_back(lower(cur));
  return words;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr std::array<std::string_view, 20> kSecretWords = {
    "password", "passwd",     "pwd",        "pass",      "passphrase", "secret",    "secrets",
    "token",    "auth",       "authorization", "credential", "credentials", "cookie", "apikey",
    "privatekey", "secretkey", "accesskey", "sessionid", "sessiontoken", "bearer"};
constexpr std::array<std::string_view, 5> kSecretSuffixes = {"password", "passwd", "token",
                                                             "secret", "apikey"};
constexpr std::array<std::string_view, 7> kKeyQualifiers = {
    "api", "access", "private", "secret", "signing", "encryption", "master"};
// First words that make a flag a switch about a secret rather than one that takes it.
constexpr std::array<std::string_view, 14> kSwitchWords = {
    "no", "disable", "enable", "skip", "use", "with", "without", "require",
    "allow", "ask", "prompt", "show", "print", "hide"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view w) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

// A flag (`--token`, `--db-password`) that takes the secret as its next word.
bool is_secret_flag(std::string_view word) {
  if (word.size() < 2 || word[0] != '-' || word.find('=') != std::string_view::npos) return false;
  std::string_view key = word.substr(word.find_first_not_of('-'));
  auto words = key_words(key);
  if (words.empty() || contains(kSwitchWords, words.front())) return false;
  return is_secret_key(key);
}

// URL credentials: scheme://user:PASSWORD@host.
void mask_url_passwords(std::string_view t, std::vector<Range>* out) {
  for (size_t at = t.find("://"); at != std::string_view::npos; at = t.find("://", at + 3)) {
    size_t start = at + 3;
    size_t end = start;
    while (end < t.size() && !is_space(t[end]) && t[end] != '/' && t[end] != '@') ++end;
    if (end >= t.size() || t[end] != '@') continue;
    size_t colon = t.find(':', start);
    if (colon != std::string_view::npos && colon < end && colon + 1 < end)
      out->push_back({colon + 1, end});
  }
}

// key=value anywhere (options, variables, query strings): the value up to a separator.
void mask_key_values(std::string_view t, std::vector<Range>* out) {
  for (size_t eq = t.find('='); eq != std::string_view::npos; eq = t.find('=', eq + 1)) {
    size_t k = eq;
    while (k > 0 && is_key_char(t[k - 1])) --k;
    std::string_view key = t.substr(k, eq - k);
    while (!key.empty() && key.front() == '-') key.remove_prefix(1);
    if (key.empty() || !is_secret_key(key)) continue;
    size_t v = eq + 1;
    size_t e = v;
    while (e < t.size() && !value_end(t[e])) ++e;
    if (e > v) out->push_back({v, e});
  }
}

// Whitespace-separated words, a quoted stretch staying inside its word.
std::vector<Range> words_of(std::string_view t) {
  std::vector<Range> words;
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && is_space(t[i])) ++i;
    if (i >= t.size()) break;
    size_t b = i;
    char quote = 0;
    while (i < t.size() && (quote || !is_space(t[i]))) {
      if (quote && t[i] == quote) quote = 0;
      else if (!quote && (t[i] == '\'' || t[i] == '"')) quote = t[i];
      ++i;
    }
    words.push_back({b, i});
  }
  return words;
}

std::string_view unquoted(std::string_view w) {
  while (!w.empty() && (w.front() == '\'' || w.front() == '"')) w.remove_prefix(1);
  while (!w.empty() && (w.back() == '\'' || w.back() == '"')) w.remove_suffix(1);
  return w;
}

// Words split at every space, with quote characters trimmed off their ends: a header
// such as 'Authorization: Bearer X' is often one quoted shell word.
std::vector<Range> plain_words(std::string_view t) {
  std::vector<Range> words;
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && is_space(t[i])) ++i;
    size_t b = i;
    while (i < t.size() && !is_space(t[i])) ++i;
    size_t e = i;
    while (b < e && (t[b] == '\'' || t[b] == '"')) ++b;
    while (e > b && (t[e - 1] == '\'' || t[e - 1] == '"')) --e;
    if (e > b) words.push_back({b, e});
  }
  return words;
}

// `Authorization: Bearer VALUE`, `X-Api-Key: VALUE`, `Bearer VALUE`.
void mask_header_values(std::string_view t, std::vector<Range>* out) {
  auto words = plain_words(t);
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    std::string_view w = t.substr(words[i].first, words[i].second - words[i].first);
    std::string lw = lower(w);
    bool header = w.size() > 1 && w.back() == ':' && is_secret_key(w.substr(0, w.size() - 1));
    bool scheme = lw == "bearer" || lw == "basic";
    if (!header && !scheme) continue;
    size_t j = i + 1;
    std::string next = lower(t.substr(words[j].first, words[j].second - words[j].first));
    if (header && (next == "bearer" || next == "basic" || next == "token") && j + 1 < words.size())
      ++j;
    out->push_back(words[j]);
    i = j;
  }
}

// `--token VALUE`: the word after a secret-naming flag, a quoted value staying whole.
void mask_flag_values(std::string_view t, std::vector<Range>* out) {
  auto words = words_of(t);
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    std::string_view w = unquoted(t.substr(words[i].first, words[i].second - words[i].first));
    if (!is_secret_flag(w)) continue;
    std::string_view value = t.substr(words[i + 1].first, words[i + 1].second - words[i + 1].first);
    if (!value.empty() && value.front() == '-') continue;  // another flag
    out->push_back(words[i + 1]);
    ++i;
  }
}

double entropy_bits(std::string_view s) {
  std::array<int, 256> counts{};
  for (char c : s) ++counts[static_cast<unsigned char>(c)];
  double h = 0;
  for (int n : counts)
    if (n > 0) {
      double p = static_cast<double>(n) / static_cast<double>(s.size());
      h -= p * std::log2(p);
    }
  return h;
}

bool has_prefix_and_length(std::string_view run, std::string_view prefix, size_t min_rest) {
  return run.substr(0, prefix.size()) == prefix && run.size() >= prefix.size() + min_rest;
}

// A random-looking token: long, mixed case with digits, and close to uniformly spread.
bool looks_random(std::string_view run) {
  if (run.size() < 32) return false;
  bool upper = false, low = false, digit = false;
  for (char c : run) {
    upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
    low |= std::islower(static_cast<unsigned char>(c)) != 0;
    digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
  }
  return upper && low && digit && entropy_bits(run) >= 4.3;
}

bool looks_like_api_key(std::string_view run) {
  static constexpr std::array<std::pair<std::string_view, size_t>, 16> kPrefixes = {{
      {"sk-", 16}, {"sk_live_", 16}, {"sk_test_", 16}, {"rk_live_", 16}, {"ghp_", 20},
      {"gho_", 20}, {"ghu_", 20}, {"ghs_", 20}, {"ghr_", 20}, {"github_pat_", 20},
      {"glpat-", 20}, {"xoxb-", 10}, {"xoxp-", 10}, {"xoxa-", 10}, {"AIza", 30}, {"npm_", 30}}};
  for (const auto& [prefix, rest] : kPrefixes)
    if (has_prefix_and_length(run, prefix, rest)) return true;
  if ((run.substr(0, 4) == "AKIA" || run.substr(0, 4) == "ASIA") && run.size() >= 20) {
    bool ok = true;
    for (size_t i = 4; i < 20; ++i)
      ok &= std::isupper(static_cast<unsigned char>(run[i])) || std::isdigit(static_cast<unsigned char>(run[i]));
    if (ok) return true;
  }
  return looks_random(run);
}

// Known API-key shapes and long random tokens anywhere; JWTs (three base64url parts).
void mask_key_shapes(std::string_view t, std::vector<Range>* out) {
  size_t i = 0;
  while (i < t.size()) {
    if (!is_run_char(t[i])) {
      ++i;
      continue;
    }
    size_t b = i;
    while (i < t.size() && (is_run_char(t[i]) || t[i] == '.')) ++i;
    std::string_view run = t.substr(b, i - b);
    if (run.substr(0, 3) == "eyJ" && std::count(run.begin(), run.end(), '.') == 2 &&
        run.size() >= 36) {
      out->push_back({b, i});
      continue;
    }
    // Dots separate file names and domains: judge each piece.
    size_t p = 0;
    while (p <= run.size()) {
      size_t q = run.find('.', p);
      if (q == std::string_view::npos) q = run.size();
      if (q > p && looks_like_api_key(run.substr(p, q - p))) out->push_back({b + p, b + q});
      p = q + 1;
    }
  }
}

std::string apply(std::string_view t, std::vector<Range> ranges) {
  if (ranges.empty()) return std::string(t);
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < ranges.size();) {
    size_t b = ranges[i].first, e = ranges[i].second;
    for (++i; i < ranges.size() && ranges[i].first <= e; ++i) e = std::max(e, ranges[i].second);
    if (b < pos) b = pos;
    out.append(t.substr(pos, b - pos));
    out += kMasked;
    pos = e;
  }
  out.append(t.substr(pos));
  return out;
}

}  // namespace

bool is_secret_key(std::string_view key) {
  auto words = key_words(key);
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (contains(kSecretWords, w)) return true;
    for (auto suffix : kSecretSuffixes)
      if (ends_with(w, suffix)) return true;
    if (i + 1 < words.size()) {
      const std::string& next = words[i + 1];
      if (next == "key" && contains(kKeyQualifiers, w)) return true;
      if ((w == "session" && next == "id") || (w == "client" && next == "secret")) return true;
    }
  }
  return false;
}

std::string mask_secrets(std::string_view text) {
  std::vector<Range> ranges;
  mask_url_passwords(text, &ranges);
  mask_key_values(text, &ranges);
  mask_header_values(text, &ranges);
  mask_flag_values(text, &ranges);
  mask_key_shapes(text, &ranges);
  return apply(text, std::move(ranges));
}

std::vector<std::string> mask_secrets_argv(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (size_t i = 0; i < argv.size(); ++i) {
    out.push_back(mask_secrets(argv[i]));
    if (is_secret_flag(argv[i]) && i + 1 < argv.size() &&
        (argv[i + 1].empty() || argv[i + 1][0] != '-')) {
      out.push_back(kMasked);
      ++i;
    }
  }
  return out;
}

}  // namespace leakscope::report
