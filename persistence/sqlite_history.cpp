// Channel history on SQLite (see sqlite_store.cpp for the schema): trimmed
// to rule.size exactly on every append, by ttl when the store expires.
#include "persistence/sqlite_statement.hpp"
#include "persistence/sqlite_store.hpp"

namespace herald::persistence {

struct sqlite_store::history_statements {
  statement bump, append, trim, read, expire_old, forget_events, forget_meta;
  explicit history_statements(sqlite3* db)
      : bump(db, "INSERT INTO history_meta (channel, epoch, top, ttl_ms, forget_at_ms) "
                 "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (channel) DO UPDATE SET "
                 "top = top + ?3, ttl_ms = excluded.ttl_ms, "
                 "forget_at_ms = max(forget_at_ms, excluded.forget_at_ms) RETURNING epoch, top"),
        append(db, "INSERT INTO history (channel, off, event_id, tail, created_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)"),
        trim(db, "DELETE FROM history WHERE channel = ?1 AND off <= ?2"),
        read(db, "SELECT off, event_id, tail, created_ms FROM history WHERE channel = ?1 AND "
                 "off > ?2 AND created_ms >= ?3 ORDER BY off LIMIT ?4"),
        expire_old(db, "DELETE FROM history WHERE created_ms < ?1 - (SELECT ttl_ms FROM "
                       "history_meta m WHERE m.channel = history.channel)"),
        forget_events(db, "DELETE FROM history WHERE channel IN "
                          "(SELECT channel FROM history_meta WHERE forget_at_ms < ?1)"),
        forget_meta(db, "DELETE FROM history_meta WHERE forget_at_ms < ?1") {}
};

void sqlite_store::history_deleter::operator()(history_statements* h) const {
  delete h;
}

std::unique_ptr<sqlite_store::history_statements, sqlite_store::history_deleter>
sqlite_store::prepare_history(sqlite3* db) {
  return std::unique_ptr<history_statements, history_deleter>(new history_statements(db));
}

namespace {

// Moves the channel's newest offset on by `step` (0: only makes sure the
// channel has its epoch) and answers the epoch and newest offset.
history_position bump(statement& q, const std::string& channel, uint64_t step, int64_t now_ms,
                      const history_rule& rule) {
  auto epoch = new_epoch(); // bound without a copy: must outlive the step
  q.bind(channel, epoch, step, int64_t(rule.ttl.count()), now_ms + rule.meta_ttl.count());
  history_position out;
  if (q.step()) {
    out.epoch = q.text(0);
    out.offset = uint64_t(q.integer(1));
  }
  q.reset();
  return out;
}

} // namespace

history_position sqlite_store::history_append(const std::string& channel,
                                              const std::string& event_id, const std::string& tail,
                                              int64_t now_ms, const history_rule& rule) {
  auto& h = *history_;
  auto at = bump(h.bump, channel, 1, now_ms, rule);
  h.append.bind(channel, at.offset, event_id, tail, now_ms).run();
  if (at.offset > rule.size)
    h.trim.bind(channel, at.offset - rule.size).run();
  return at;
}

history_page sqlite_store::history_read(const std::string& channel, uint64_t after, size_t limit,
                                        int64_t now_ms, const history_rule& rule) {
  auto& h = *history_;
  auto at = bump(h.bump, channel, 0, now_ms, rule);
  history_page page{std::move(at.epoch), at.offset, {}};
  auto& q = h.read.bind(channel, after, now_ms - rule.ttl.count(), uint64_t(limit));
  while (q.step())
    page.items.push_back({uint64_t(q.integer(0)), q.text(1), q.text(2), q.integer(3)});
  q.reset();
  return page;
}

void sqlite_store::history_expire(int64_t now_ms) {
  auto& h = *history_;
  h.expire_old.bind(now_ms).run();
  h.forget_events.bind(now_ms).run();
  h.forget_meta.bind(now_ms).run();
}

} // namespace herald::persistence
