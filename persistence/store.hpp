#pragma once
// What Herald keeps durably, whatever the backend: per-user inboxes of
// events and each user's cursor (the newest event known to have reached one
// of the user's sockets), channel history (history.hpp), outbound jobs. Every call may block;
// callers run it on the store worker's thread (store_worker.hpp), never on an I/O thread or in an
// actor.
#include "persistence/history.hpp"
#include "persistence/inbox_pos.hpp"
#include "persistence/job.hpp"
#include "persistence/sink_limits.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::persistence {

// A backend could not do what was asked (I/O error, Redis down, timeout).
struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct inbox_limits {
  uint64_t max_events = 1000; // per user; the oldest go first
  std::chrono::milliseconds ttl{24 * 3600 * 1000};
};

struct inbox_item {
  inbox_pos pos;
  std::string event_id;
  std::string tail; // the encoded event frame after its seq (see actors/event.hpp)
  int64_t created_ms = 0;
};

struct receipt_record {
  struct delivery {
    std::string session, node;
    int64_t at_ms = 0;
  };
  std::vector<delivery> delivered; // oldest first
  int64_t acked_ms = 0;            // 0: not acked
};

// An escalation of a user event (docs/http-api.md): a notify job due at
// due_ms unless the event is acked by then.
struct escalation_record {
  std::string state; // "pending", "cancelled" (acked in time), "notified" (the job went on)
  std::string sink, job_id;
  int64_t due_ms = 0;
  int64_t at_ms = 0; // cancelled: when the ack came; notified: when the job was let go
};

// Sessions of one event a receipt names at most (a user has few sessions).
constexpr size_t receipt_deliveries_max = 32;

class store {
public:
  virtual ~store() = default;
  virtual const char* backend() const = 0;

  // Keeps an event in `user`'s inbox (dropping the oldest past max_events)
  // and says where it went. Durable when it returns.
  virtual inbox_pos inbox_append(const std::string& user, const std::string& event_id,
                                 const std::string& tail, int64_t now_ms) = 0;
  // The events newer than the user's cursor and younger than the ttl, oldest
  // first. With `after_event` (the last event the client says it got) found
  // in the inbox: the events after that one instead, cursor or not.
  virtual std::vector<inbox_item> inbox_pending(const std::string& user, int64_t now_ms,
                                                const std::string& after_event = {}) = 0;
  // Moves the user's cursor to `pos`; never backwards.
  virtual void cursor_advance(const std::string& user, inbox_pos pos) = 0;
  virtual inbox_pos cursor(const std::string& user) = 0;
  // Drops every inbox event older than the ttl, and history past its ttl.
  virtual void expire(int64_t now_ms) = 0;

  // --- channel history ---------------------------------------------------------
  // Keeps an event in `channel`'s history (the oldest past rule.size go) and
  // gives it the next offset. Durable when it returns.
  virtual history_position history_append(const std::string& channel, const std::string& event_id,
                                          const std::string& tail, int64_t now_ms,
                                          const history_rule& rule) = 0;
  // The kept events after offset `after` (at most `limit`, oldest first)
  // younger than rule.ttl, with the channel's epoch and newest offset. A
  // channel never published gets its epoch here (offset 0).
  virtual history_page history_read(const std::string& channel, uint64_t after, size_t limit,
                                    int64_t now_ms, const history_rule& rule) = 0;

  // --- the control API (docs/http-api.md) --------------------------------------------
  // Every kept inbox event of `user` younger than the ttl, oldest first.
  virtual std::vector<inbox_item> inbox_all(const std::string& user, int64_t now_ms) = 0;
  // A kept user event by its id alone: its user and where it sits.
  virtual std::optional<std::pair<std::string, inbox_item>> inbox_event(const std::string& event_id,
                                                                        int64_t now_ms) = 0;
  // An idempotent publish: claims `key` for `window_ms` (nothing returned:
  // the caller publishes, then keeps its answer), or gives what the key
  // holds: the first publish's answer, or "" while that one is in progress.
  virtual std::optional<std::string> idempotency_claim(const std::string& key, int64_t now_ms,
                                                       int64_t window_ms) = 0;
  virtual void idempotency_keep(const std::string& key, const std::string& answer, int64_t now_ms,
                                int64_t window_ms) = 0;
  virtual void idempotency_release(const std::string& key) = 0; // the publish failed
  // Receipts of user events: which session on which node got it and when,
  // and when an ack (or an inbox read) moved the user's cursor to `pos` or past it.
  // Sessions (of one node, in one flush) that had the event written: one
  // write per event, however many sessions; a receipt names each session once.
  virtual void receipt_delivered(const std::string& event_id,
                                 const std::vector<receipt_record::delivery>& sessions) = 0;
  virtual void receipt_acked(const std::string& user, inbox_pos pos, int64_t at_ms) = 0;
  virtual receipt_record receipt(const std::string& user, const std::string& event_id,
                                 inbox_pos pos) = 0;
  // The escalation of a user event, kept as long as the inbox keeps events.
  virtual void escalation_put(const std::string& event_id, const escalation_record& e) = 0;
  virtual std::optional<escalation_record> escalation_get(const std::string& event_id) = 0;

  // --- outbound jobs ---------------------------------------------------------
  // Keeps a new job (waiting). Durable when it returns.
  virtual void job_add(const job& j) = 0;
  // Leases up to `max` due jobs of `sink` until `lease_until_ms`: waiting or
  // delayed ones whose time has come, and active ones whose lease ran out.
  // Oldest due first.
  virtual std::vector<job> job_claim(const std::string& sink, size_t max, int64_t now_ms,
                                     int64_t lease_until_ms) = 0;
  // Delivered: the job is gone.
  virtual void job_finish(const std::string& id) = 0;
  // Back to the queue, due at `run_at_ms`, having made `attempts` attempts.
  virtual void job_reschedule(const std::string& id, uint32_t attempts, int64_t run_at_ms,
                              const std::string& error) = 0;
  // Into the DLQ, unless it already holds `dlq_max` jobs (then false, nothing changes).
  virtual bool job_bury(const std::string& id, uint32_t attempts, const std::string& error,
                        int64_t failed_at_ms, uint64_t dlq_max) = 0;
  virtual job_counts job_count(int64_t now_ms) = 0;
  // The DLQ, newest death first.
  virtual std::vector<job> dlq_list(size_t limit, size_t offset) = 0;
  // A dead job back to waiting with its attempts reset; nothing if unknown.
  virtual std::optional<job> dlq_retry(const std::string& id, int64_t now_ms) = 0;
  virtual bool dlq_delete(const std::string& id) = 0;

  // Recipients who opted in to a sink (for sinks with require_opt_in).
  virtual void optin_set(const std::string& sink, const std::string& to, bool on) = 0;
  virtual bool optin_has(const std::string& sink, const std::string& to) = 0;

  // --- sink limits (sink_limits.hpp) ------------------------------------------
  // True when every node shares one rate window and one breaker per sink
  // through this store (sink_acquire, sink_report). Otherwise each process
  // keeps its own and only saves the breaker here.
  virtual bool shares_sink_limits() const { return false; }
  virtual admission sink_acquire(const std::string& /*sink*/, const sink_limits& /*limits*/,
                                 uint32_t /*want*/) {
    throw store_error(std::string(backend()) + " does not share sink limits");
  }
  virtual admission sink_report(const std::string& /*sink*/, const sink_limits& /*limits*/,
                                send_result /*result*/, bool /*probe*/) {
    throw store_error(std::string(backend()) + " does not share sink limits");
  }
  virtual std::optional<breaker_record> breaker_load(const std::string& /*sink*/) { return {}; }
  virtual void breaker_save(const std::string& /*sink*/, const breaker_record& /*b*/) {}

  // Several calls in a row may share one transaction (a group commit).
  // `batch_end` makes them durable together; it throws if they are not.
  virtual void batch_begin() {}
  virtual void batch_end() {}
  virtual void batch_abort() {}
};

} // namespace herald::persistence
