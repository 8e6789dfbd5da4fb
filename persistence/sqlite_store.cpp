#include "persistence/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

namespace herald::persistence {

namespace {

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
  template <class... Ts>
  statement& bind(const Ts&... args) {
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

constexpr const char* schema_v1 = R"sql(
CREATE TABLE IF NOT EXISTS inbox (
  pos        INTEGER PRIMARY KEY AUTOINCREMENT,
  user       TEXT    NOT NULL,
  event_id   TEXT    NOT NULL,
  tail       TEXT    NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_by_user ON inbox (user, pos);
CREATE INDEX IF NOT EXISTS inbox_by_age ON inbox (created_ms);
CREATE TABLE IF NOT EXISTS cursors (
  user TEXT PRIMARY KEY,
  pos  INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

} // namespace

struct sqlite_store::statements {
  statement append, trim, pending, advance, cursor, expire, begin, commit, rollback;
  explicit statements(sqlite3* db)
      : append(db, "INSERT INTO inbox (user, event_id, tail, created_ms) VALUES (?1, ?2, ?3, ?4)"),
        trim(db, "DELETE FROM inbox WHERE user = ?1 AND pos <= "
                 "(SELECT pos FROM inbox WHERE user = ?1 ORDER BY pos DESC LIMIT 1 OFFSET ?2)"),
        pending(db, "SELECT pos, event_id, tail, created_ms FROM inbox WHERE user = ?1 AND pos > "
                    "COALESCE((SELECT pos FROM cursors WHERE user = ?1), 0) AND created_ms >= ?2 "
                    "ORDER BY pos DESC LIMIT ?3"),
        advance(db, "INSERT INTO cursors (user, pos) VALUES (?1, ?2) "
                    "ON CONFLICT (user) DO UPDATE SET pos = max(pos, excluded.pos)"),
        cursor(db, "SELECT pos FROM cursors WHERE user = ?1"),
        expire(db, "DELETE FROM inbox WHERE created_ms < ?1"),
        begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK") {}
};

sqlite_store::sqlite_store(const std::string& path, inbox_limits limits)
    : path_(path), limits_(limits) {
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty())
    std::filesystem::create_directories(dir, ec);
  if (ec)
    throw store_error("sqlite: cannot create folder " + dir.string() + ": " + ec.message());
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw store_error("sqlite: cannot open " + path + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    statement version(db_, "PRAGMA user_version");
    version.step();
    auto found = version.integer(0);
    version.reset();
    if (found > schema_version)
      fail("schema version " + std::to_string(found) + " is newer than this build's " +
           std::to_string(schema_version));
    if (found < schema_version) {
      exec("BEGIN IMMEDIATE");
      exec(schema_v1);
      exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
      exec("COMMIT");
    }
    st_ = std::make_unique<statements>(db_);
  } catch (...) {
    st_.reset();
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

sqlite_store::~sqlite_store() {
  st_.reset();
  if (db_)
    sqlite3_close(db_);
}

void sqlite_store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    fail(msg);
  }
}

void sqlite_store::fail(const std::string& what) { throw store_error("sqlite " + path_ + ": " + what); }

inbox_pos sqlite_store::inbox_append(const std::string& user, const std::string& event_id,
                                     const std::string& tail, int64_t now_ms) {
  st_->append.bind(user, event_id, tail, now_ms).run();
  auto pos = static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
  // Trimming walks inbox_max index entries: do it once per trim_every
  // appends of a user. Between trims an inbox may hold a few extra events;
  // reads return only the newest inbox_max.
  if (++appends_since_trim_[user] >= trim_every) {
    st_->trim.bind(user, limits_.max_events).run();
    appends_since_trim_.erase(user);
  }
  return {pos, 0};
}

std::vector<inbox_item> sqlite_store::inbox_pending(const std::string& user, int64_t now_ms) {
  std::vector<inbox_item> out;
  auto& q = st_->pending.bind(user, now_ms - limits_.ttl.count(), limits_.max_events);
  while (q.step())
    out.push_back({{uint64_t(q.integer(0)), 0}, q.text(1), q.text(2), q.integer(3)});
  q.reset();
  std::reverse(out.begin(), out.end());
  return out;
}

void sqlite_store::cursor_advance(const std::string& user, inbox_pos pos) {
  st_->advance.bind(user, pos.major).run();
}

inbox_pos sqlite_store::cursor(const std::string& user) {
  auto& q = st_->cursor.bind(user);
  inbox_pos out;
  if (q.step())
    out.major = uint64_t(q.integer(0));
  q.reset();
  return out;
}

void sqlite_store::expire(int64_t now_ms) { st_->expire.bind(now_ms - limits_.ttl.count()).run(); }

void sqlite_store::batch_begin() { st_->begin.bind().run(); }
void sqlite_store::batch_end() { st_->commit.bind().run(); }
void sqlite_store::batch_abort() {
  if (!sqlite3_get_autocommit(db_))
    st_->rollback.bind().run();
}

} // namespace herald::persistence
