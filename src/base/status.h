// Status and StatusOr: how leakscope reports failure across module boundaries.
// Exceptions are not used inside the project (the preload library cannot use them at
// all, and the collector must never unwind through a sampling loop), so every fallible
// function returns one of these and callers must look at it ([[nodiscard]]).
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace leakscope {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad user input: a spec, an option, a file that is not a capture
  kNotFound,         // no such pid / file
  kPermissionDenied,
  kGone,             // the process exited while we were reading it
  kCorrupt,          // a file or /proc entry did not parse
  kUnsupported,      // newer capture, kernel without a feature
  kIo,
  kInternal,
};

// A failure is described the way the CLI prints it: what failed, why, and what to do.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string what, std::string why = {}, std::string hint = {})
      : code_(code), what_(std::move(what)), why_(std::move(why)), hint_(std::move(hint)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& what() const { return what_; }
  const std::string& why() const { return why_; }
  const std::string& hint() const { return hint_; }

  // "<what> (<why>; <hint>)" — the body of the CLI's one-line error.
  std::string message() const;

  // Adds context to the front of `what`, keeping why/hint: "reading /proc/12/stat: ...".
  Status with_context(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string what_;
  std::string why_;
  std::string hint_;
};

// Maps an errno value to a status code; `what` names the operation and the object.
Status errno_status(int err, std::string what, std::string hint = {});

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  StatusOr(Status status) : v_(std::move(status)) {}    // NOLINT(google-explicit-constructor)

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return is_ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define LS_CONCAT_INNER(a, b) a##b
#define LS_CONCAT(a, b) LS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::leakscope::Status ls_status_ = (expr);       \
    if (!ls_status_.is_ok()) return ls_status_;    \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.is_ok()) return tmp.status();      \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(LS_CONCAT(ls_statusor_, __LINE__), lhs, expr)

}  // namespace leakscope
