#pragma once
// The store on Redis, for many nodes: each user's inbox is a Stream
// `{prefix}inbox:{user}` (XADD MAXLEN ~ inbox_max, entries older than the
// ttl trimmed with MINID, the key expiring after a ttl of silence); each
// cursor is a string `{prefix}cursor:{user}` holding a stream id, moved
// forward only (a small Lua script compares ids). Runs its commands through
// the shared redis_manager, on the store worker's thread.
//
// Channel history (redis_history.cpp): Stream `{prefix}history:{<channel>}`
// whose entry ids are the offsets ("<offset>-0"), XADD MAXLEN ~ history_size,
// and hash `{prefix}history-meta:{<channel>}` holding `epoch` and `top`; both
// written by one Lua script, so offsets have no gaps whichever node publishes.
//
// Jobs: hash `{prefix}job:{id}`; due jobs are entries of the sink's Stream
// `{prefix}jobs:{sink}`, read through consumer group "herald" (one consumer
// per node); a lease is an entry pending for its consumer, and an entry
// pending longer than the lease is taken over by any node (XAUTOCLAIM), so
// a job held by a dead node is finished by another. Delayed jobs wait in
// sorted set `{prefix}jobs:delayed:{sink}` (score: due time); the DLQ is
// sorted set `{prefix}dlq` (score: time of death). Writes that touch
// several keys run in MULTI/EXEC. Each priority has its own stream
// (`{prefix}jobs:high:{sink}`, `{prefix}jobs:low:{sink}`), read first to last.
//
// Sink limits (redis_limits.cpp): one rate window and one breaker per sink
// for every node.
#include "persistence/redis_manager.hpp"
#include "persistence/store.hpp"

#include <set>

namespace herald::persistence {

// Commands to Redis, with writes that may wait: while a batch of store jobs
// runs (store_worker's group commit), deferred writes collect and go as one
// pipeline with the next command or at the batch's end, so N jobs' writes
// cost one round trip. Every other command sends what waits first, so the
// order is kept.
class redis_pipeline {
public:
  explicit redis_pipeline(redis_manager& redis) : redis_(redis) {}
  std::vector<redis_reply> call(std::vector<redis_command> commands);
  // Sent at once outside a batch; throws store_error when a reply is an error.
  void defer(redis_command command);
  void begin() { batching_ = true; }
  void flush(); // throws store_error when a deferred write failed
  void abort() {
    deferred_.clear();
    batching_ = false;
  }
  void end() {
    flush();
    batching_ = false;
  }

private:
  redis_manager& redis_;
  std::vector<redis_command> deferred_;
  bool batching_ = false;
};

class redis_store final : public store {
public:
  // `consumer`: this node's name in the job streams' consumer group;
  // `sinks`: every configured sink (for counting jobs).
  redis_store(redis_manager& redis, std::string key_prefix, inbox_limits limits,
              std::string consumer = "herald", std::vector<std::string> sinks = {});
  const char* backend() const override { return "redis"; }

  inbox_pos inbox_append(const std::string& user, const std::string& event_id,
                         const std::string& tail, int64_t now_ms) override;
  std::vector<inbox_item> inbox_pending(const std::string& user, int64_t now_ms,
                                        const std::string& after_event = {}) override;
  void cursor_advance(const std::string& user, inbox_pos pos) override;
  inbox_pos cursor(const std::string& user) override;
  void expire(int64_t now_ms) override {} // MINID trimming and key expiry do it
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
  bool shares_sink_limits() const override { return true; }
  void batch_begin() override { redis_.begin(); }
  void batch_end() override { redis_.end(); }
  void batch_abort() override { redis_.abort(); }
  admission sink_acquire(const std::string& sink, const sink_limits& limits,
                         uint32_t want) override;
  admission sink_report(const std::string& sink, const sink_limits& limits, send_result result,
                        bool probe) override;

private:
  std::string inbox_key(const std::string& user) const { return prefix_ + "inbox:" + user; }
  std::string cursor_key(const std::string& user) const { return prefix_ + "cursor:" + user; }
  std::string job_key(const std::string& id) const { return prefix_ + "job:" + id; }
  // A sink's due jobs, one stream per priority (normal keeps the name it always had).
  std::string stream_key(const std::string& sink, job_priority p = job_priority::normal) const {
    if (p == job_priority::high)
      return prefix_ + "jobs:high:" + sink;
    if (p == job_priority::low)
      return prefix_ + "jobs:low:" + sink;
    return prefix_ + "jobs:" + sink;
  }
  std::string delayed_key(const std::string& sink) const {
    return prefix_ + "jobs:delayed:" + sink;
  }
  std::string history_key(const std::string& channel) const {
    return prefix_ + "history:{" + channel + "}";
  }
  std::string history_meta_key(const std::string& channel) const {
    return prefix_ + "history-meta:{" + channel + "}";
  }
  std::string idempotency_key(const std::string& key) const { return prefix_ + "idem:" + key; }
  std::string receipt_key(const std::string& id) const { return prefix_ + "receipt:" + id; }
  std::string event_key(const std::string& id) const { return prefix_ + "event:" + id; }
  std::string acks_key(const std::string& user) const { return prefix_ + "acks:" + user; }
  redis_reply one(redis_command command);
  // The user's kept events after `after` and younger than the ttl, oldest first.
  std::vector<inbox_item> inbox_after(const std::string& user, inbox_pos after, int64_t now_ms);
  std::optional<inbox_pos> find_in_inbox(const std::string& user, const std::string& event_id);
  // Runs `commands` in MULTI/EXEC; the EXEC reply's elements.
  std::vector<redis_reply> transaction(std::vector<redis_command> commands);
  void ensure_group(const std::string& sink);
  std::optional<job> load_job(const std::string& id);
  // Takes a job's entry out of its stream (acked and deleted), if it has one.
  void drop_entry(const job& j, std::vector<redis_command>& into);

  redis_pipeline redis_;
  std::string prefix_;
  inbox_limits limits_;
  std::string consumer_;
  std::vector<std::string> sinks_;
  std::set<std::string> groups_; // streams whose consumer group exists
};

} // namespace herald::persistence
