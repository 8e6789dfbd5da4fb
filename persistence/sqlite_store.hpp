#pragma once
// The embedded default store: one SQLite file in WAL mode, created on first
// start, schema versioned with PRAGMA user_version. A committed write is in
// the WAL before the call returns, so `kill -9` loses nothing acknowledged
// (synchronous=NORMAL: an OS crash or power loss may lose the last commits).
#include "persistence/store.hpp"

#include <memory>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace herald::persistence {

class sqlite_store final : public store {
public:
  // Opens (creating the file, its folder and the schema when missing); throws store_error.
  sqlite_store(const std::string& path, inbox_limits limits);
  ~sqlite_store() override;
  const char* backend() const override { return "sqlite"; }

  inbox_pos inbox_append(const std::string& user, const std::string& event_id,
                         const std::string& tail, int64_t now_ms) override;
  std::vector<inbox_item> inbox_pending(const std::string& user, int64_t now_ms,
                                        const std::string& after_event = {}) override;
  void cursor_advance(const std::string& user, inbox_pos pos) override;
  inbox_pos cursor(const std::string& user) override;
  void expire(int64_t now_ms) override;
  history_position history_append(const std::string& channel, const std::string& event_id,
                                  const std::string& tail, int64_t now_ms,
                                  const history_rule& rule) override;
  history_page history_read(const std::string& channel, uint64_t after, size_t limit,
                            int64_t now_ms, const history_rule& rule) override;
  std::vector<inbox_item> inbox_all(const std::string& user, int64_t now_ms) override;
  std::optional<std::pair<std::string, inbox_item>> inbox_event(const std::string& event_id,
                                                                int64_t now_ms) override;
  std::optional<std::string> idempotency_claim(const std::string& key, int64_t now_ms,
                                               int64_t window_ms) override;
  void idempotency_keep(const std::string& key, const std::string& answer, int64_t now_ms,
                        int64_t window_ms) override;
  void idempotency_release(const std::string& key) override;
  void receipt_delivered(const std::string& event_id,
                         const std::vector<receipt_record::delivery>& sessions) override;
  void receipt_acked(const std::string& user, inbox_pos pos, int64_t at_ms) override;
  receipt_record receipt(const std::string& user, const std::string& event_id,
                         inbox_pos pos) override;
  void escalation_put(const std::string& event_id, const escalation_record& e) override;
  std::optional<escalation_record> escalation_get(const std::string& event_id) override;
  void job_add(const job& j) override;
  std::vector<job> job_claim(const std::string& sink, size_t max, int64_t now_ms,
                             int64_t lease_until_ms) override;
  void job_finish(const std::string& id) override;
  void job_reschedule(const std::string& id, uint32_t attempts, int64_t run_at_ms,
                      const std::string& error) override;
  bool job_bury(const std::string& id, uint32_t attempts, const std::string& error,
                int64_t failed_at_ms, uint64_t dlq_max) override;
  job_counts job_count(int64_t now_ms) override;
  std::vector<job> dlq_list(size_t limit, size_t offset) override;
  std::optional<job> dlq_retry(const std::string& id, int64_t now_ms) override;
  bool dlq_delete(const std::string& id) override;
  void optin_set(const std::string& sink, const std::string& to, bool on) override;
  bool optin_has(const std::string& sink, const std::string& to) override;
  std::optional<breaker_record> breaker_load(const std::string& sink) override;
  void breaker_save(const std::string& sink, const breaker_record& b) override;
  void batch_begin() override;
  void batch_end() override;
  void batch_abort() override;

  static constexpr int schema_version = 6;
  static constexpr int trim_every = 32;
  static constexpr size_t max_tracked_users = 100000;

private:
  struct statements;
  struct history_statements; // sqlite_history.cpp, as is its deleter
  struct history_deleter {
    void operator()(history_statements* h) const;
  };
  static std::unique_ptr<history_statements, history_deleter> prepare_history(sqlite3* db);
  void history_expire(int64_t now_ms);
  struct control_statements; // sqlite_control.cpp, as is its deleter
  struct control_deleter {
    void operator()(control_statements* c) const;
  };
  static std::unique_ptr<control_statements, control_deleter> prepare_control(sqlite3* db);
  void control_expire(int64_t now_ms);
  void exec(const char* sql);
  [[noreturn]] void fail(const std::string& what);

  std::string path_;
  inbox_limits limits_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<statements> st_;
  std::unique_ptr<history_statements, history_deleter> history_;
  std::unique_ptr<control_statements, control_deleter> control_;
  std::unordered_map<std::string, int> appends_since_trim_;
};

} // namespace herald::persistence
