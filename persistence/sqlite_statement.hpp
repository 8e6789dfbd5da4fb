#pragma once
// A prepared SQLite statement for the store's own thread (sqlite_store.cpp,
// sqlite_history.cpp).
#include "persistence/store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace herald::persistence {

// One prepared statement, reset after every use.
class statement {
public:
  statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
      throw store_error(std::string("sqlite: cannot prepare: ") + sqlite3_errmsg(db));
  }
  ~statement() { sqlite3_finalize(stmt_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  // Binds the arguments in order; ints as int64, strings as text.
  template <class... Ts> statement& bind(const Ts&... args) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    int i = 0;
    (bind_one(++i, args), ...);
    return *this;
  }
  // True while a row is there to read.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc == SQLITE_DONE)
      return false;
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    throw store_error("sqlite: " + msg);
  }
  void run() {
    while (step()) {
    }
    sqlite3_reset(stmt_);
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  void reset() { sqlite3_reset(stmt_); }

private:
  void bind_one(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind_one(int i, uint64_t v) { sqlite3_bind_int64(stmt_, i, static_cast<int64_t>(v)); }
  void bind_one(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), int(v.size()), SQLITE_STATIC);
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

} // namespace herald::persistence
