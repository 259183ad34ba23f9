// `--redact`: replaces what identifies a person or a machine in paths, command lines and
// socket names with stable placeholders, so a report can be pasted into a public issue:
// home folders (`/home/alice` -> `<home>`), user names (`<user>`), the host name
// (`<host>`), IPv4/IPv6 addresses (`<ip-1>`, `<ip-2>`, ...) and e-mail addresses
// (`<email-1>`, ...). The same original always gets the same placeholder within a report,
// and the numbering follows a fixed walk over the capture (Redactor::learn), so the HTML,
// Markdown and trace of one capture agree. Secrets are masked whether or not redaction is
// on (secrets.h). What is replaced and what is deliberately kept (loopback addresses,
// `localhost`, words that merely contain a user name, dotted versions with a `v` or five
// parts, MAC addresses, C++ `a::b` names) is listed in docs/report.md.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace leakscope::report {

class Redactor {
 public:
  explicit Redactor(bool enabled) : enabled_(enabled) {}

  bool enabled() const { return enabled_; }

  // Identities known up front: the capture's host name(s) and user names (from process
  // uids). Names too short or too generic to replace safely are ignored (see the docs).
  void add_host(const std::string& host);
  void add_user(const std::string& user);
  // Assigns placeholders to what `text` contains (e-mail addresses, then homes, IPv6, IPv4
  // addresses, each in order of appearance) without producing output: call it over the
  // capture's strings in a fixed order first, so the numbering does not depend on which
  // output asks first.
  void learn(std::string_view text);

  // Secrets masked, and with redaction on, identities replaced.
  std::string apply(std::string_view text);
  std::vector<std::string> apply_argv(const std::vector<std::string>& argv);

  // "1 home folder, 1 user name, 1 host name, 2 IP addresses": what was actually replaced
  // (counts, never originals); empty when nothing was or redaction is off.
  std::string summary() const;

 private:
  std::string replace_emails(std::string_view t);
  std::string replace_homes(std::string_view t);
  std::string replace_ipv6(std::string_view t);
  std::string replace_ipv4(std::string_view t);
  std::string replace_words(std::string_view t, const std::map<std::string, std::string>& words,
                            bool case_insensitive, bool dash_is_word);
  std::string user_placeholder(const std::string& user);
  std::string home_placeholder(const std::string& home, const std::string& user);
  std::string numbered(std::map<std::string, std::string>* map, const std::string& key,
                       const char* kind);
  std::string person_suffix(const std::string& name);

  bool enabled_;
  std::map<std::string, std::string> hosts_;   // lower-case name -> placeholder
  std::map<std::string, std::string> users_;   // name -> placeholder
  std::map<std::string, std::string> homes_;   // "/home/alice" -> placeholder
  std::map<std::string, std::string> ips_;     // canonical text -> placeholder
  std::map<std::string, std::string> emails_;  // lower-case address -> placeholder
  std::map<std::string, size_t> people_;       // user or home owner -> number
  std::set<std::string> placeholders_;         // every placeholder handed out
  std::set<std::string> used_;                 // those that replaced something
};

// Address-shape checks, exposed for the tests: `text` is the whole candidate.
bool is_ipv4_address(std::string_view text);
bool is_ipv6_address(std::string_view text);

}  // namespace leakscope::report
