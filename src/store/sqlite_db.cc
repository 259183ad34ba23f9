// SQLite wrappers; see sqlite_db.h.
#include "store/sqlite_db.h"

#include <utility>

namespace leakscope::store {

Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
  }
  return *this;
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

StatusOr<Database> Database::open(const std::string& path, int flags) {
  Database db;
  db.path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
    return Status(rc == SQLITE_CANTOPEN ? StatusCode::kNotFound : StatusCode::kIo,
                  "cannot open " + path, why);
  }
  sqlite3_busy_timeout(db.db_, 5000);
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

Status Database::error(const std::string& what) const {
  int rc = sqlite3_errcode(db_);
  StatusCode code = StatusCode::kIo;
  if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) code = StatusCode::kCorrupt;
  return Status(code, what, sqlite3_errmsg(db_));
}

Status Database::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string why = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    StatusCode code = (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT
                          ? StatusCode::kCorrupt
                          : StatusCode::kIo;
    return Status(code, "database error in " + path_, why);
  }
  return Status::ok();
}

StatusOr<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return error("cannot prepare statement on " + path_);
  return Statement(db_, stmt);
}

StatusOr<int64_t> Database::query_int(const std::string& sql) {
  ASSIGN_OR_RETURN(Statement st, prepare(sql));
  ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Status(StatusCode::kCorrupt, "query returned no row", sql);
  return st.column_int(0);
}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int idx, int64_t v) {
  sqlite3_bind_int64(stmt_, idx, v);
  return *this;
}
Statement& Statement::bind(int idx, double v) {
  sqlite3_bind_double(stmt_, idx, v);
  return *this;
}
Statement& Statement::bind(int idx, std::string_view v) {
  sqlite3_bind_text(stmt_, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_blob(int idx, const void* data, size_t bytes) {
  sqlite3_bind_blob64(stmt_, idx, data, bytes, SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int idx) {
  sqlite3_bind_null(stmt_, idx);
  return *this;
}

StatusOr<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  int base = rc & 0xff;
  StatusCode code = base == SQLITE_NOTADB || base == SQLITE_CORRUPT ? StatusCode::kCorrupt
                                                                     : StatusCode::kIo;
  return Status(code, "database step failed", sqlite3_errmsg(db_));
}

Status Statement::run() {
  auto r = step();
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (!r.is_ok()) return r.status();
  return Status::ok();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::column_text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  if (!t) return {};
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

}  // namespace leakscope::store
