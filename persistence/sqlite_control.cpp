// The SQLite store's part for the control API (schema in sqlite_store.cpp):
// idempotency keys, the whole inbox, receipts.
#include "persistence/receipt_text.hpp"
#include "persistence/sqlite_statement.hpp"
#include "persistence/sqlite_store.hpp"

#include <algorithm>
#include <tuple>

namespace herald::persistence {

struct sqlite_store::control_statements {
  statement inbox_all, inbox_event, claim, find_key, keep, release, deliver, deliveries, last_ack,
      ack, acked_at, expire_keys, expire_deliveries, expire_acks, escalation_put, escalation_get,
      expire_escalations;
  explicit control_statements(sqlite3* db)
      : inbox_all(db, "SELECT pos, event_id, tail, created_ms FROM inbox WHERE user = ?1 AND "
                      "created_ms >= ?2 ORDER BY pos DESC LIMIT ?3"),
        inbox_event(db, "SELECT user, pos, tail, created_ms FROM inbox WHERE event_id = ?1 AND "
                        "created_ms >= ?2 LIMIT 1"),
        claim(db, "INSERT INTO idempotency (key, answer, expires_ms) VALUES (?1, '', ?2) "
                  "ON CONFLICT (key) DO UPDATE SET answer = '', expires_ms = excluded.expires_ms "
                  "WHERE idempotency.expires_ms <= ?3"),
        find_key(db, "SELECT answer FROM idempotency WHERE key = ?1 AND expires_ms > ?2"),
        keep(db, "INSERT INTO idempotency (key, answer, expires_ms) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (key) DO UPDATE SET answer = excluded.answer, "
                 "expires_ms = excluded.expires_ms"),
        release(db, "DELETE FROM idempotency WHERE key = ?1"),
        deliver(db, "INSERT INTO deliveries (event_id, sessions, at_ms) VALUES (?1, ?2, ?3)"),
        deliveries(db, "SELECT sessions FROM deliveries WHERE event_id = ?1 ORDER BY rowid "
                       "LIMIT 64"),
        last_ack(db, "SELECT max(pos) FROM acks WHERE user = ?1"),
        ack(db, "INSERT OR IGNORE INTO acks (user, pos, at_ms) VALUES (?1, ?2, ?3)"),
        acked_at(db, "SELECT at_ms FROM acks WHERE user = ?1 AND pos >= ?2 ORDER BY pos LIMIT 1"),
        expire_keys(db, "DELETE FROM idempotency WHERE expires_ms <= ?1"),
        expire_deliveries(db, "DELETE FROM deliveries WHERE at_ms < ?1"),
        expire_acks(db, "DELETE FROM acks WHERE at_ms < ?1"),
        escalation_put(db, "INSERT OR REPLACE INTO escalations (event_id, state, sink, job_id, "
                           "due_ms, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        escalation_get(db, "SELECT state, sink, job_id, due_ms, at_ms FROM escalations "
                           "WHERE event_id = ?1"),
        expire_escalations(db, "DELETE FROM escalations WHERE due_ms < ?1") {}
};

void sqlite_store::control_deleter::operator()(control_statements* c) const {
  delete c;
}

std::unique_ptr<sqlite_store::control_statements, sqlite_store::control_deleter>
sqlite_store::prepare_control(sqlite3* db) {
  return std::unique_ptr<control_statements, control_deleter>(new control_statements(db));
}

std::vector<inbox_item> sqlite_store::inbox_all(const std::string& user, int64_t now_ms) {
  std::vector<inbox_item> out;
  auto& q = control_->inbox_all.bind(user, now_ms - limits_.ttl.count(), limits_.max_events);
  while (q.step())
    out.push_back({{uint64_t(q.integer(0)), 0}, q.text(1), q.text(2), q.integer(3)});
  q.reset();
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<std::pair<std::string, inbox_item>>
sqlite_store::inbox_event(const std::string& event_id, int64_t now_ms) {
  auto& q = control_->inbox_event.bind(event_id, now_ms - limits_.ttl.count());
  std::optional<std::pair<std::string, inbox_item>> out;
  if (q.step())
    out.emplace(q.text(0),
                inbox_item{{uint64_t(q.integer(1)), 0}, event_id, q.text(2), q.integer(3)});
  q.reset();
  return out;
}

std::optional<std::string> sqlite_store::idempotency_claim(const std::string& key, int64_t now_ms,
                                                           int64_t window_ms) {
  control_->claim.bind(key, now_ms + window_ms, now_ms).run();
  if (sqlite3_changes(db_) > 0)
    return std::nullopt;
  auto& q = control_->find_key.bind(key, now_ms);
  std::optional<std::string> held = q.step() ? q.text(0) : std::string();
  q.reset();
  return held;
}

void sqlite_store::idempotency_keep(const std::string& key, const std::string& answer,
                                    int64_t now_ms, int64_t window_ms) {
  control_->keep.bind(key, answer, now_ms + window_ms).run();
}

void sqlite_store::idempotency_release(const std::string& key) {
  control_->release.bind(key).run();
}

void sqlite_store::receipt_delivered(const std::string& event_id,
                                     const std::vector<receipt_record::delivery>& sessions) {
  if (sessions.empty())
    return;
  std::string lines;
  for (size_t i = 0; i < sessions.size() && i < receipt_deliveries_max; ++i)
    lines += sessions[i].session + ' ' + sessions[i].node + ' ' +
             std::to_string(sessions[i].at_ms) + '\n';
  control_->deliver.bind(event_id, lines, sessions.front().at_ms).run();
}

void sqlite_store::receipt_acked(const std::string& user, inbox_pos pos, int64_t at_ms) {
  auto& last = control_->last_ack.bind(user);
  bool moved = !last.step() || last.is_null(0) || uint64_t(last.integer(0)) < pos.major;
  last.reset();
  if (moved) // an earlier entry already covers a position the cursor had passed
    control_->ack.bind(user, pos.major, at_ms).run();
}

receipt_record sqlite_store::receipt(const std::string& user, const std::string& event_id,
                                     inbox_pos pos) {
  receipt_record out;
  auto& d = control_->deliveries.bind(event_id);
  while (d.step())
    add_deliveries(out, d.text(0));
  d.reset();
  std::sort(out.delivered.begin(), out.delivered.end(), [](auto& a, auto& b) {
    return std::tie(a.at_ms, a.session) < std::tie(b.at_ms, b.session);
  });
  auto& a = control_->acked_at.bind(user, pos.major);
  if (a.step())
    out.acked_ms = a.integer(0);
  a.reset();
  return out;
}

void sqlite_store::control_expire(int64_t now_ms) {
  control_->expire_keys.bind(now_ms).run();
  control_->expire_deliveries.bind(now_ms - limits_.ttl.count()).run();
  control_->expire_acks.bind(now_ms - limits_.ttl.count()).run();
  control_->expire_escalations.bind(now_ms - limits_.ttl.count()).run();
}

void sqlite_store::escalation_put(const std::string& event_id, const escalation_record& e) {
  control_->escalation_put.bind(event_id, e.state, e.sink, e.job_id, e.due_ms, e.at_ms).run();
}

std::optional<escalation_record> sqlite_store::escalation_get(const std::string& event_id) {
  auto& q = control_->escalation_get.bind(event_id);
  std::optional<escalation_record> out;
  if (q.step())
    out = escalation_record{q.text(0), q.text(1), q.text(2), q.integer(3), q.integer(4)};
  q.reset();
  return out;
}

} // namespace herald::persistence
