// Where a report or export goes: a file written under a temporary name and renamed into
// place when complete (a reader never sees half a report, and a failed run leaves the old
// file alone), or stdout for "-". Buffered: exports of large captures are streamed.
#pragma once

#include <string>
#include <string_view>

#include "base/scoped_fd.h"
#include "base/status.h"

namespace leakscope::report {

class OutputFile {
 public:
  static StatusOr<OutputFile> create(const std::string& path);
  OutputFile(OutputFile&& o) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  ~OutputFile();

  Status write(std::string_view data);
  // Flushes and moves the file into place; without it the temporary file is removed.
  Status commit();
  size_t bytes_written() const { return written_; }

 private:
  OutputFile() = default;
  Status flush();
  std::string path_, tmp_;
  ScopedFd fd_;
  bool to_stdout_ = false;
  bool committed_ = false;
  std::string buffer_;
  size_t written_ = 0;
};

}  // namespace leakscope::report
