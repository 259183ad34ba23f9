// Masks secrets in command lines before anything is shown: the values of options and
// key=value pairs whose key names a password, token, secret, API key or credential
// (`--password=x`, `--token x`, `api_key=x`, `GITHUB_TOKEN=x`), URL passwords
// (`https://u:x@host`), `Authorization: Bearer x`, and strings shaped like well-known API
// keys (`sk-…`, `ghp_…`, `AKIA…`, JWTs, …) or long random-looking tokens. This runs on
// every report, redacted or not: people paste reports into public issues, and a leaked
// token cannot be taken back. The rules and what is deliberately kept are in
// docs/report.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace leakscope::report {

inline constexpr const char* kMasked = "<masked>";

// A command line (or any text): every secret replaced by kMasked.
std::string mask_secrets(std::string_view text);

// An argv: also masks the word after a secret-naming flag given without '='
// (`--token VALUE`).
std::vector<std::string> mask_secrets_argv(const std::vector<std::string>& argv);

// Whether an option or variable name names a secret ("db-password", "apiKey",
// "GITHUB_TOKEN"; not "author", "max-tokens", "tokenizer").
bool is_secret_key(std::string_view key);

}  // namespace leakscope::report
