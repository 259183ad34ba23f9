// RAII wrappers over the SQLite C API: Database owns a connection, Statement a prepared
// statement. Errors come back as Status with SQLite's own message, never as exceptions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace leakscope::store {

class Statement;

class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }
  Database& operator=(Database&& o) noexcept;
  ~Database();

  // flags: SQLITE_OPEN_READONLY or SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE.
  static StatusOr<Database> open(const std::string& path, int flags);

  Status exec(const std::string& sql);
  StatusOr<Statement> prepare(std::string_view sql);
  // Runs a query returning one integer (e.g. PRAGMA user_version).
  StatusOr<int64_t> query_int(const std::string& sql);

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  Status error(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  ~Statement();

  // Bind by 1-based index. Negative int64 "missing" sentinels are the caller's concern:
  // use bind_opt for values that may be absent.
  Statement& bind(int idx, int64_t v);
  Statement& bind(int idx, double v);
  Statement& bind(int idx, std::string_view v);
  Statement& bind_null(int idx);
  Statement& bind_blob(int idx, const void* data, size_t bytes);
  // Binds NULL when v < 0 (the procfs kMissing convention).
  Statement& bind_opt(int idx, int64_t v) { return v < 0 ? bind_null(idx) : bind(idx, v); }

  // Returns true while there is a row, false when done; error status on failure.
  StatusOr<bool> step();
  // Steps a statement that returns no rows and resets it for reuse.
  Status run();
  void reset();

  int64_t column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double column_double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // -1 (kMissing) for NULL, so callers read back what they stored.
  int64_t column_int_or_missing(int col) const {
    return column_is_null(col) ? -1 : column_int(col);
  }
  std::string column_text(int col) const;
  // Bytes of a BLOB (or text) column; valid until the next step/reset.
  const void* column_blob(int col) const { return sqlite3_column_blob(stmt_, col); }
  size_t column_bytes(int col) const { return static_cast<size_t>(sqlite3_column_bytes(stmt_, col)); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace leakscope::store
