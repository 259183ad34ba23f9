// Redaction; see redact.h. Each kind of identity is found by a small scanner (no regex:
// the boundaries are what decides between a real address and a look-alike, and they are
// easier to state and test as code). The scanners run in a fixed order: e-mail addresses
// first (they contain user and host names), then home folders, addresses, host names and
// user names.
#include "report/redact.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "report/secrets.h"

namespace leakscope::report {
namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool email_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool domain_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

// Names that are not worth hiding or that would wreck the text if replaced everywhere.
bool generic_name(const std::string& n) {
  static const char* kGeneric[] = {"root", "localhost", "user", "home", "host", "nobody",
                                   "admin", "ubuntu", "debian", "runner", "build"};
  for (const char* g : kGeneric)
    if (lower(n) == g) return true;
  return n.size() < 2;
}

// Scans `t` for candidates [b, e) found by `find` and replaces them with `replace(text)`.
// `find(t, i, &b, &e)` returns false when nothing is left from position i.
std::string scan_replace(std::string_view t,
                         const std::function<bool(std::string_view, size_t, size_t*, size_t*)>& find,
                         const std::function<std::string(std::string_view)>& replace) {
  std::string out;
  size_t pos = 0, b = 0, e = 0;
  while (pos < t.size() && find(t, pos, &b, &e)) {
    out.append(t.substr(pos, b - pos));
    out += replace(t.substr(b, e - b));
    pos = e;
  }
  out.append(t.substr(pos));
  return out;
}

bool parse_octet(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  int v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  return v <= 255;
}

// Addresses that identify nothing: loopback, unspecified, broadcast.
bool kept_address(std::string_view a) {
  return a.substr(0, 4) == "127." || a == "0.0.0.0" || a == "255.255.255.255" || a == "::" ||
         a == "::1";
}

}  // namespace

bool is_ipv4_address(std::string_view text) {
  int parts = 0;
  size_t p = 0;
  while (true) {
    size_t q = text.find('.', p);
    std::string_view part = text.substr(p, q == std::string_view::npos ? text.npos : q - p);
    if (!parse_octet(part)) return false;
    ++parts;
    if (q == std::string_view::npos) break;
    p = q + 1;
  }
  return parts == 4;
}

bool is_ipv6_address(std::string_view text) {
  if (std::count(text.begin(), text.end(), ':') < 2) return false;
  size_t dbl = text.find("::");
  if (dbl != std::string_view::npos && text.find("::", dbl + 1) != std::string_view::npos)
    return false;
  if (text.find(":::") != std::string_view::npos) return false;
  int groups = 0;
  bool digit = false;
  size_t p = 0;
  while (p <= text.size()) {
    size_t q = text.find(':', p);
    std::string_view g = text.substr(p, q == std::string_view::npos ? text.npos : q - p);
    bool last = q == std::string_view::npos;
    if (!g.empty()) {
      if (last && g.find('.') != std::string_view::npos) {
        if (!is_ipv4_address(g)) return false;
        groups += 2;
        digit = true;
      } else {
        if (g.size() > 4) return false;
        for (char c : g) {
          if (!is_hex(c)) return false;
          digit |= is_digit(c);
        }
        ++groups;
      }
    }
    if (last) break;
    p = q + 1;
  }
  if (dbl == std::string_view::npos) return groups == 8;
  // Compressed: `a::b` is as likely a C++ name as an address unless a digit says otherwise.
  return groups <= 7 && (groups >= 3 || digit);
}

void Redactor::add_host(const std::string& host) {
  if (host.empty() || generic_name(host)) return;
  std::string ph = numbered(&hosts_, lower(host), "host");
  size_t dot = host.find('.');
  if (dot != std::string::npos && dot >= 2) hosts_.emplace(lower(host.substr(0, dot)), ph);
}

void Redactor::add_user(const std::string& user) {
  if (!generic_name(user)) user_placeholder(user);
}

void Redactor::learn(std::string_view text) {
  if (enabled_) (void)apply(text);
}

std::string Redactor::numbered(std::map<std::string, std::string>* map, const std::string& key,
                               const char* kind) {
  auto it = map->find(key);
  if (it != map->end()) return it->second;
  std::set<std::string> distinct;
  for (const auto& [k, v] : *map) distinct.insert(v);
  size_t n = distinct.size() + 1;
  bool first_plain = std::string_view(kind) == "host";
  std::string ph = first_plain && n == 1 ? "<" + std::string(kind) + ">"
                                         : "<" + std::string(kind) + "-" + std::to_string(n) + ">";
  map->emplace(key, ph);
  placeholders_.insert(ph);
  return ph;
}

// People are numbered once, so <home-2> is the home of <user-2>.
std::string Redactor::person_suffix(const std::string& name) {
  auto it = people_.find(name);
  size_t n = it != people_.end() ? it->second : people_.size() + 1;
  if (it == people_.end()) people_.emplace(name, n);
  return n == 1 ? ">" : "-" + std::to_string(n) + ">";
}

std::string Redactor::user_placeholder(const std::string& user) {
  auto it = users_.find(user);
  if (it != users_.end()) return it->second;
  std::string ph = "<user" + person_suffix(user);
  users_.emplace(user, ph);
  placeholders_.insert(ph);
  return ph;
}

std::string Redactor::home_placeholder(const std::string& home, const std::string& user) {
  auto it = homes_.find(home);
  if (it != homes_.end()) return it->second;
  if (!generic_name(user)) user_placeholder(user);
  std::string ph = "<home" + person_suffix(user);
  homes_.emplace(home, ph);
  placeholders_.insert(ph);
  return ph;
}

std::string Redactor::replace_emails(std::string_view t) {
  auto find = [](std::string_view s, size_t from, size_t* b, size_t* e) {
    for (size_t at = s.find('@', from); at != std::string_view::npos; at = s.find('@', at + 1)) {
      size_t l = at;
      while (l > from && email_local_char(s[l - 1])) --l;
      size_t r = at + 1;
      while (r < s.size() && domain_char(s[r])) ++r;
      while (r > at + 1 && (s[r - 1] == '.' || s[r - 1] == '-')) --r;
      std::string_view domain = s.substr(at + 1, r - at - 1);
      size_t dot = domain.rfind('.');
      if (l == at || dot == std::string_view::npos || dot == 0) continue;
      std::string_view tld = domain.substr(dot + 1);
      bool alpha = tld.size() >= 2;
      for (char c : tld) alpha &= std::isalpha(static_cast<unsigned char>(c)) != 0;
      if (!alpha) continue;
      *b = l;
      *e = r;
      return true;
    }
    return false;
  };
  return scan_replace(t, find, [this](std::string_view m) {
    return numbered(&emails_, lower(m), "email");
  });
}

std::string Redactor::replace_homes(std::string_view t) {
  static const std::string_view kRoots[] = {"/home/", "/Users/"};
  auto find = [](std::string_view s, size_t from, size_t* b, size_t* e) {
    size_t best = std::string_view::npos, best_e = 0;
    for (auto root : kRoots)
      for (size_t at = s.find(root, from); at != std::string_view::npos; at = s.find(root, at + 1)) {
        if (at > 0 && (is_word(s[at - 1]) || s[at - 1] == '.' || s[at - 1] == '-')) continue;
        size_t r = at + root.size();
        while (r < s.size() && s[r] != '/' && !std::isspace(static_cast<unsigned char>(s[r])) &&
               s[r] != '\'' && s[r] != '"' && s[r] != ':' && s[r] != ',' && s[r] != ')')
          ++r;
        if (r == at + root.size()) continue;
        if (at < best) {
          best = at;
          best_e = r;
        }
        break;
      }
    if (best == std::string_view::npos) return false;
    *b = best;
    *e = best_e;
    return true;
  };
  return scan_replace(t, find, [this](std::string_view m) {
    std::string home(m);
    std::string user = home.substr(home.find('/', 1) + 1);
    return home_placeholder(home, user);
  });
}

std::string Redactor::replace_ipv6(std::string_view t) {
  auto cand = [](char c) { return is_hex(c) || c == ':' || c == '.'; };
  auto find = [&](std::string_view s, size_t from, size_t* b, size_t* e) {
    size_t i = from;
    while (i < s.size()) {
      if (!cand(s[i]) || (i > 0 && (is_word(s[i - 1]) || cand(s[i - 1])))) {
        ++i;
        continue;
      }
      size_t r = i;
      while (r < s.size() && cand(s[r])) ++r;
      size_t end = r;
      if (r < s.size() && is_word(s[r])) {
        i = r;
        continue;
      }
      while (end > i && s[end - 1] == '.') --end;
      if (end > i + 1 && s[end - 1] == ':' && s[end - 2] != ':') --end;
      std::string_view a = s.substr(i, end - i);
      if (is_ipv6_address(a) && !kept_address(a)) {
        *b = i;
        *e = end;
        return true;
      }
      i = r;
    }
    return false;
  };
  return scan_replace(t, find, [this](std::string_view m) {
    return numbered(&ips_, lower(m), "ip");
  });
}

std::string Redactor::replace_ipv4(std::string_view t) {
  auto find = [](std::string_view s, size_t from, size_t* b, size_t* e) {
    size_t i = from;
    while (i < s.size()) {
      bool start = is_digit(s[i]) && (i == 0 || (!is_word(s[i - 1]) && s[i - 1] != '.'));
      if (!start) {
        ++i;
        continue;
      }
      size_t r = i;
      while (r < s.size() && (is_digit(s[r]) || s[r] == '.')) ++r;
      size_t end = r;
      while (end > i && s[end - 1] == '.') --end;
      bool tail_ok = r >= s.size() || !is_word(s[r]);
      // A fifth dotted number means a version (1.2.3.4.5), not an address.
      std::string_view a = s.substr(i, end - i);
      if (tail_ok && is_ipv4_address(a) && !kept_address(a)) {
        *b = i;
        *e = end;
        return true;
      }
      i = r;
    }
    return false;
  };
  return scan_replace(t, find, [this](std::string_view m) {
    return numbered(&ips_, std::string(m), "ip");
  });
}

std::string Redactor::replace_words(std::string_view t,
                                    const std::map<std::string, std::string>& words,
                                    bool case_insensitive, bool dash_is_word) {
  if (words.empty()) return std::string(t);
  std::string hay = case_insensitive ? lower(t) : std::string(t);
  auto word_char = [dash_is_word](char c) { return is_word(c) || (dash_is_word && c == '-'); };
  auto find = [&](std::string_view s, size_t from, size_t* b, size_t* e) {
    size_t best = std::string_view::npos, best_len = 0;
    for (const auto& [w, ph] : words) {
      for (size_t at = hay.find(w, from); at != std::string::npos; at = hay.find(w, at + 1)) {
        size_t end = at + w.size();
        bool left = at == 0 || (!word_char(s[at - 1]) && s[at - 1] != '<');
        bool right = end >= s.size() || !word_char(s[end]);
        if (left && right) {
          if (at < best || (at == best && w.size() > best_len)) {
            best = at;
            best_len = w.size();
          }
          break;
        }
      }
    }
    if (best == std::string_view::npos) return false;
    *b = best;
    *e = best + best_len;
    return true;
  };
  return scan_replace(t, find, [&](std::string_view m) {
    return words.at(case_insensitive ? lower(m) : std::string(m));
  });
}

std::string Redactor::apply(std::string_view text) {
  std::string s = mask_secrets(text);
  if (!enabled_) return s;
  s = replace_emails(s);
  s = replace_homes(s);
  s = replace_ipv6(s);
  s = replace_ipv4(s);
  s = replace_words(s, hosts_, true, true);
  s = replace_words(s, users_, false, false);
  // What was replaced, for the summary: every placeholder now in the text.
  for (size_t at = s.find('<'); at != std::string::npos; at = s.find('<', at + 1)) {
    size_t end = s.find('>', at);
    if (end == std::string::npos) break;
    std::string ph = s.substr(at, end + 1 - at);
    if (placeholders_.count(ph)) used_.insert(ph);
  }
  return s;
}

std::vector<std::string> Redactor::apply_argv(const std::vector<std::string>& argv) {
  std::vector<std::string> out = mask_secrets_argv(argv);
  for (auto& w : out) w = apply(w);
  return out;
}

std::string Redactor::summary() const {
  if (!enabled_) return "";
  std::string out;
  auto part = [&out](size_t n, const char* one, const char* many) {
    if (n == 0) return;
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + (n == 1 ? one : many);
  };
  auto distinct = [this](const std::map<std::string, std::string>& m) {
    std::set<std::string> v;
    for (const auto& [k, ph] : m)
      if (used_.count(ph)) v.insert(ph);
    return v.size();
  };
  part(distinct(homes_), "home folder", "home folders");
  part(distinct(users_), "user name", "user names");
  part(distinct(hosts_), "host name", "host names");
  part(distinct(ips_), "IP address", "IP addresses");
  part(distinct(emails_), "e-mail address", "e-mail addresses");
  return out;
}

}  // namespace leakscope::report
