#pragma once
// The store in memory: for unit tests and `storage.backend = "memory"`
// (nothing survives a restart).
#include "persistence/store.hpp"

#include <deque>
#include <map>
#include <set>
#include <unordered_map>

namespace herald::persistence {

class memory_store final : public store {
public:
  explicit memory_store(inbox_limits limits) : limits_(limits) {}
  const char* backend() const override { return "memory"; }
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

private:
  struct channel_history {
    std::string epoch = new_epoch(); // a new one each start: nothing survives a restart
    uint64_t top = 0;
    std::deque<history_item> items;
    int64_t ttl_ms = 0;
    int64_t forget_at_ms = 0;
  };
  channel_history& history_of(const std::string& channel, int64_t now_ms, const history_rule& rule);

  inbox_limits limits_;
  std::unordered_map<std::string, channel_history> history_;
  uint64_t next_ = 1;
  std::unordered_map<std::string, std::deque<inbox_item>> inboxes_;
  std::unordered_map<std::string, inbox_pos> cursors_;
  std::map<std::string, job> jobs_;
  std::set<std::pair<std::string, std::string>> optins_;
  struct kept_answer {
    std::string answer;
    int64_t expires_ms = 0;
  };
  std::unordered_map<std::string, kept_answer> idempotency_;
  std::deque<std::pair<int64_t, std::string>> idempotency_expiry_; // (expires, key), oldest first
  std::unordered_map<std::string, std::vector<receipt_record::delivery>> deliveries_;
  std::deque<std::string> delivery_order_; // event ids, oldest first: bounded like the inboxes
  std::unordered_map<std::string, escalation_record> escalations_;
  std::deque<std::string> escalation_order_; // event ids, oldest first: bounded the same way
  std::unordered_map<std::string, std::map<inbox_pos, int64_t>> acks_;
};

} // namespace herald::persistence
