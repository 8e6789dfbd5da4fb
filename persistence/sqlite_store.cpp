#include "persistence/sqlite_store.hpp"
#include "persistence/sqlite_statement.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

namespace herald::persistence {

namespace {

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

// Version 2: outbound jobs (state: 0 waiting, 1 delayed, 2 active, 3 dead) and opt-ins.
constexpr const char* schema_v2 = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id             TEXT PRIMARY KEY,
  sink           TEXT    NOT NULL,
  recipient      TEXT    NOT NULL,
  text           TEXT    NOT NULL,
  data           TEXT    NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  state          INTEGER NOT NULL,
  created_ms     INTEGER NOT NULL,
  run_at_ms      INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  failed_at_ms   INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (sink, state, run_at_ms);
CREATE INDEX IF NOT EXISTS jobs_dead ON jobs (state, failed_at_ms);
CREATE TABLE IF NOT EXISTS optin (
  sink      TEXT NOT NULL,
  recipient TEXT NOT NULL,
  PRIMARY KEY (sink, recipient)
) WITHOUT ROWID;
)sql";

// Version 3: channel history. `off` is the event's offset in its channel;
// history_meta holds each channel's epoch and newest offset.
constexpr const char* schema_v3 = R"sql(
CREATE TABLE IF NOT EXISTS history (
  channel    TEXT    NOT NULL,
  off        INTEGER NOT NULL,
  event_id   TEXT    NOT NULL,
  tail       TEXT    NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (channel, off)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_meta (
  channel      TEXT PRIMARY KEY,
  epoch        TEXT    NOT NULL,
  top          INTEGER NOT NULL,
  ttl_ms       INTEGER NOT NULL,
  forget_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 4: the control API. Idempotency keys with their answers;
// deliveries of user events (for receipts: one row per event and flush,
// `sessions` "<session> <node> <at ms>" lines); the ack log: each time an ack or
// an inbox read moved a user's cursor, where to and when.
constexpr const char* schema_v4 = R"sql(
CREATE INDEX IF NOT EXISTS inbox_by_event ON inbox (event_id);
CREATE TABLE IF NOT EXISTS idempotency (
  key        TEXT PRIMARY KEY,
  answer     TEXT    NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (expires_ms);
CREATE TABLE IF NOT EXISTS deliveries (
  event_id TEXT    NOT NULL,
  sessions TEXT    NOT NULL,
  at_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_id);
CREATE INDEX IF NOT EXISTS deliveries_by_age ON deliveries (at_ms);
CREATE TABLE IF NOT EXISTS acks (
  user  TEXT    NOT NULL,
  pos   INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (user, pos)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS acks_by_age ON acks (at_ms);
)sql";

// Version 5: a job's expiry (0: none) and dedupe key ('': none).
constexpr const char* schema_v5 = R"sql(
ALTER TABLE jobs ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN dedupe_key TEXT NOT NULL DEFAULT '';
)sql";

// Version 6: a job's priority (0 high, 1 normal, 2 low) and the event it
// escalates; each sink's circuit breaker, kept across restarts; escalations.
constexpr const char* schema_v6 = R"sql(
ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN escalates TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS escalations (
  event_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  sink TEXT NOT NULL,
  job_id TEXT NOT NULL,
  due_ms INTEGER NOT NULL,
  at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS escalations_by_due ON escalations (due_ms);
CREATE TABLE IF NOT EXISTS breakers (
  sink TEXT PRIMARY KEY,
  phase INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  until_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

constexpr const char* job_columns =
    "id, sink, recipient, text, data, attempts, state, created_ms, run_at_ms, lease_until_ms, "
    "failed_at_ms, last_error, expires_ms, dedupe_key, priority, escalates";

job read_job(statement& q) {
  job j;
  j.id = q.text(0);
  j.sink = q.text(1);
  j.to = q.text(2);
  j.text = q.text(3);
  j.data = q.text(4);
  j.attempts = uint32_t(q.integer(5));
  j.state = job_state(q.integer(6));
  j.created_ms = q.integer(7);
  j.run_at_ms = q.integer(8);
  j.lease_until_ms = q.integer(9);
  j.failed_at_ms = q.integer(10);
  j.last_error = q.text(11);
  j.expires_at_ms = q.integer(12);
  j.dedupe_key = q.text(13);
  j.priority = job_priority(std::clamp<int64_t>(q.integer(14), 0, 2));
  j.escalates = q.text(15);
  return j;
}

std::string sql(const std::string& a, const char* b = "", const std::string& c = "") {
  return a + b + c;
}

} // namespace

struct sqlite_store::statements {
  statement append, trim, pending, find_event, advance, cursor, expire, begin, commit, rollback;
  statement job_add, job_claim, job_finish, job_reschedule, job_dead_count, job_bury, job_count,
      dlq_list, dlq_retry, dlq_get, dlq_delete, optin_add, optin_remove, optin_has, breaker_get,
      breaker_put;
  explicit statements(sqlite3* db)
      : append(db, "INSERT INTO inbox (user, event_id, tail, created_ms) VALUES (?1, ?2, ?3, ?4)"),
        trim(db, "DELETE FROM inbox WHERE user = ?1 AND pos <= "
                 "(SELECT pos FROM inbox WHERE user = ?1 ORDER BY pos DESC LIMIT 1 OFFSET ?2)"),
        pending(db,
                "SELECT pos, event_id, tail, created_ms FROM inbox WHERE user = ?1 AND pos > "
                "CASE WHEN ?4 >= 0 THEN ?4 ELSE "
                "COALESCE((SELECT pos FROM cursors WHERE user = ?1), 0) END AND created_ms >= ?2 "
                "ORDER BY pos DESC LIMIT ?3"),
        find_event(db, "SELECT pos FROM inbox WHERE user = ?1 AND event_id = ?2"),
        advance(db, "INSERT INTO cursors (user, pos) VALUES (?1, ?2) "
                    "ON CONFLICT (user) DO UPDATE SET pos = max(pos, excluded.pos)"),
        cursor(db, "SELECT pos FROM cursors WHERE user = ?1"),
        expire(db, "DELETE FROM inbox WHERE created_ms < ?1"), begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"), rollback(db, "ROLLBACK"),
        job_add(db, "INSERT INTO jobs (id, sink, recipient, text, data, attempts, state, "
                    "created_ms, run_at_ms, expires_ms, dedupe_key, priority, escalates) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?12, ?7, ?8, ?9, ?10, ?11, ?13)"),
        job_claim(
            db,
            sql("UPDATE jobs SET state = 2, lease_until_ms = ?4 WHERE id IN (SELECT id FROM jobs "
                "WHERE sink = ?1 AND ((state IN (0, 1) AND run_at_ms <= ?3) OR "
                "(state = 2 AND lease_until_ms < ?3)) ORDER BY priority, run_at_ms, created_ms "
                "LIMIT ?2) "
                "RETURNING ",
                job_columns)
                .c_str()),
        job_finish(db, "DELETE FROM jobs WHERE id = ?1 AND state != 3"),
        job_reschedule(db, "UPDATE jobs SET state = 1, attempts = ?2, run_at_ms = ?3, "
                           "last_error = CASE WHEN ?4 = '' THEN last_error ELSE ?4 END "
                           "WHERE id = ?1 AND state != 3"),
        job_dead_count(db, "SELECT count(*) FROM jobs WHERE state = 3"),
        job_bury(db, "UPDATE jobs SET state = 3, attempts = ?2, last_error = ?3, failed_at_ms = ?4 "
                     "WHERE id = ?1"),
        job_count(db, "SELECT sum(state IN (0, 1) AND run_at_ms <= ?1), sum(state IN (0, 1) AND "
                      "run_at_ms > ?1), "
                      "sum(state = 2), sum(state = 3) FROM jobs"),
        dlq_list(db, sql("SELECT ", job_columns,
                         " FROM jobs WHERE state = 3 ORDER BY failed_at_ms DESC LIMIT ?1 OFFSET ?2")
                         .c_str()),
        dlq_retry(db, "UPDATE jobs SET state = 0, attempts = 0, run_at_ms = ?2, failed_at_ms = 0 "
                      "WHERE id = ?1 AND state = 3"),
        dlq_get(db, sql("SELECT ", job_columns, " FROM jobs WHERE id = ?1").c_str()),
        dlq_delete(db, "DELETE FROM jobs WHERE id = ?1 AND state = 3"),
        optin_add(db, "INSERT OR IGNORE INTO optin (sink, recipient) VALUES (?1, ?2)"),
        optin_remove(db, "DELETE FROM optin WHERE sink = ?1 AND recipient = ?2"),
        optin_has(db, "SELECT 1 FROM optin WHERE sink = ?1 AND recipient = ?2"),
        breaker_get(db, "SELECT phase, failures, until_ms FROM breakers WHERE sink = ?1"),
        breaker_put(db, "INSERT OR REPLACE INTO breakers (sink, phase, failures, until_ms) "
                        "VALUES (?1, ?2, ?3, ?4)") {}
};

sqlite_store::sqlite_store(const std::string& path, inbox_limits limits)
    : path_(path), limits_(limits) {
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty())
    std::filesystem::create_directories(dir, ec);
  if (ec)
    throw store_error("sqlite: cannot create folder " + dir.string() + ": " + ec.message());
  // The file holds users' events: readable by Herald's user alone. SQLite
  // gives its -wal and -shm files the database file's mode.
  if (int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0)
    ::close(fd);
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
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
      // Each step brings the file from one version to the next.
      exec("BEGIN IMMEDIATE");
      if (found < 1)
        exec(schema_v1);
      if (found < 2)
        exec(schema_v2);
      if (found < 3)
        exec(schema_v3);
      if (found < 4)
        exec(schema_v4);
      if (found < 5)
        exec(schema_v5);
      if (found < 6)
        exec(schema_v6);
      exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
      exec("COMMIT");
    }
    st_ = std::make_unique<statements>(db_);
    history_ = prepare_history(db_);
    control_ = prepare_control(db_);
  } catch (...) {
    st_.reset();
    history_.reset();
    control_.reset();
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

sqlite_store::~sqlite_store() {
  st_.reset();
  history_.reset();
  control_.reset();
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

void sqlite_store::fail(const std::string& what) {
  throw store_error("sqlite " + path_ + ": " + what);
}

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
  // The counts are a hint; forgetting them only delays a trim.
  if (appends_since_trim_.size() > max_tracked_users)
    appends_since_trim_.clear();
  return {pos, 0};
}

std::vector<inbox_item> sqlite_store::inbox_pending(const std::string& user, int64_t now_ms,
                                                    const std::string& after_event) {
  std::vector<inbox_item> out;
  int64_t after = -1; // -1: the cursor
  if (!after_event.empty()) {
    auto& find = st_->find_event.bind(user, after_event);
    if (find.step())
      after = find.integer(0);
    find.reset();
  }
  auto& q = st_->pending.bind(user, now_ms - limits_.ttl.count(), limits_.max_events, after);
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

void sqlite_store::expire(int64_t now_ms) {
  st_->expire.bind(now_ms - limits_.ttl.count()).run();
  history_expire(now_ms);
  control_expire(now_ms);
}

void sqlite_store::job_add(const job& j) {
  st_->job_add
      .bind(j.id, j.sink, j.to, j.text, j.data, int64_t(j.attempts), j.created_ms, j.run_at_ms,
            j.expires_at_ms, j.dedupe_key, int64_t(j.priority), int64_t(j.state), j.escalates)
      .run();
}

std::vector<job> sqlite_store::job_claim(const std::string& sink, size_t max, int64_t now_ms,
                                         int64_t lease_until_ms) {
  std::vector<job> out;
  auto& q = st_->job_claim.bind(sink, uint64_t(max), now_ms, lease_until_ms);
  while (q.step())
    out.push_back(read_job(q));
  q.reset();
  std::sort(out.begin(), out.end(), [](const job& a, const job& b) {
    return std::tie(a.priority, a.run_at_ms, a.created_ms, a.id) <
           std::tie(b.priority, b.run_at_ms, b.created_ms, b.id);
  });
  return out;
}

void sqlite_store::job_finish(const std::string& id) {
  st_->job_finish.bind(id).run();
}

void sqlite_store::job_reschedule(const std::string& id, uint32_t attempts, int64_t run_at_ms,
                                  const std::string& error) {
  st_->job_reschedule.bind(id, int64_t(attempts), run_at_ms, error).run();
}

bool sqlite_store::job_bury(const std::string& id, uint32_t attempts, const std::string& error,
                            int64_t failed_at_ms, uint64_t dlq_max) {
  auto& c = st_->job_dead_count.bind();
  c.step();
  auto dead = uint64_t(c.integer(0));
  c.reset();
  if (dead >= dlq_max)
    return false;
  st_->job_bury.bind(id, int64_t(attempts), error, failed_at_ms).run();
  return true;
}

std::optional<breaker_record> sqlite_store::breaker_load(const std::string& sink) {
  auto& q = st_->breaker_get.bind(sink);
  std::optional<breaker_record> out;
  if (q.step())
    out = breaker_record{breaker_phase(std::clamp<int64_t>(q.integer(0), 0, 2)),
                         uint32_t(std::clamp<int64_t>(q.integer(1), 0, UINT32_MAX)), q.integer(2)};
  q.reset();
  return out;
}

void sqlite_store::breaker_save(const std::string& sink, const breaker_record& b) {
  st_->breaker_put.bind(sink, int64_t(b.phase), int64_t(b.failures), b.until_ms).run();
}

job_counts sqlite_store::job_count(int64_t now_ms) {
  auto& q = st_->job_count.bind(now_ms);
  job_counts c;
  if (q.step()) {
    c.waiting = uint64_t(q.integer(0));
    c.delayed = uint64_t(q.integer(1));
    c.active = uint64_t(q.integer(2));
    c.dead = uint64_t(q.integer(3));
  }
  q.reset();
  return c;
}

std::vector<job> sqlite_store::dlq_list(size_t limit, size_t offset) {
  std::vector<job> out;
  auto& q = st_->dlq_list.bind(uint64_t(limit), uint64_t(offset));
  while (q.step())
    out.push_back(read_job(q));
  q.reset();
  return out;
}

std::optional<job> sqlite_store::dlq_retry(const std::string& id, int64_t now_ms) {
  st_->dlq_retry.bind(id, now_ms).run();
  if (sqlite3_changes(db_) == 0)
    return std::nullopt;
  auto& q = st_->dlq_get.bind(id);
  std::optional<job> out;
  if (q.step())
    out = read_job(q);
  q.reset();
  return out;
}

bool sqlite_store::dlq_delete(const std::string& id) {
  st_->dlq_delete.bind(id).run();
  return sqlite3_changes(db_) > 0;
}

void sqlite_store::optin_set(const std::string& sink, const std::string& to, bool on) {
  (on ? st_->optin_add : st_->optin_remove).bind(sink, to).run();
}

bool sqlite_store::optin_has(const std::string& sink, const std::string& to) {
  auto& q = st_->optin_has.bind(sink, to);
  bool found = q.step();
  q.reset();
  return found;
}

void sqlite_store::batch_begin() {
  st_->begin.bind().run();
}
void sqlite_store::batch_end() {
  st_->commit.bind().run();
}
void sqlite_store::batch_abort() {
  if (!sqlite3_get_autocommit(db_))
    st_->rollback.bind().run();
}

} // namespace herald::persistence
