// Formatting and errno mapping for Status.
#include "base/status.h"

#include <cstring>

namespace leakscope {

std::string Status::message() const {
  std::string out = what_;
  if (!why_.empty() || !hint_.empty()) {
    out += " (";
    out += why_;
    if (!why_.empty() && !hint_.empty()) out += "; ";
    out += hint_;
    out += ")";
  }
  return out;
}

Status Status::with_context(const std::string& context) const {
  if (is_ok()) return *this;
  return Status(code_, context + ": " + what_, why_, hint_);
}

Status errno_status(int err, std::string what, std::string hint) {
  StatusCode code = StatusCode::kIo;
  switch (err) {
    case ENOENT:
    case ESRCH:
      code = StatusCode::kNotFound;
      break;
    case EACCES:
    case EPERM:
      code = StatusCode::kPermissionDenied;
      break;
    case EINVAL:
      code = StatusCode::kInvalidArgument;
      break;
    default:
      break;
  }
  return Status(code, std::move(what), std::strerror(err), std::move(hint));
}

}  // namespace leakscope
