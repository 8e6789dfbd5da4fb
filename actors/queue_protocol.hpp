#pragma once
// The queue actor's typed interface: it owns every outbound job's state
// (through the store), supervises one notifier per sink and restarts a
// notifier that fails (within the restart intensity), and sends jobs that
// run out of attempts to the DLQ.
#include "actors/continuation.hpp"
#include "actors/notifier_protocol.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace herald {

struct notify_result {
  int status = 202; // 202 stored; 403 not opted in; 503 not stored
  std::string job_id;
  std::string error;
};

struct sink_status {
  std::string name;
  uint64_t restarts = 0;
  bool failed = false; // restarted too often: its jobs wait
  std::string last_error;
  std::string breaker = "closed"; // as its notifier last reported
};

struct queue_stats {
  persistence::job_counts now;
  uint64_t completed = 0;             // since start
  uint64_t failed = 0;                // failed attempts since start
  uint64_t dlq_refused = 0;           // deaths the full DLQ could not take (the job was kept)
  uint64_t expired = 0;               // jobs past their expires_at, sent to the DLQ unsent
  uint64_t subscriptions_gone = 0;    // web pushes answered 404/410: dropped, no retry
  uint64_t escalations_cancelled = 0; // acked in time: no notify (since start, this node)
  uint64_t escalations_notified = 0;  // not acked in time: the notify went on
  std::vector<sink_status> sinks;
};

using queue_actor = caf::typed_actor<
    // From the HTTP API: store the job (answered once it is durable).
    caf::replies_to<notify_atom, persistence::job, bool>::with<notify_result>, // job,
                                                                               // require_opt_in
    caf::replies_to<optin_atom, std::string, std::string, bool>::with<bool>,   // sink, to, on
    caf::replies_to<stats_atom>::with<queue_stats>, caf::replies_to<info_atom>::with<actor_info>,
    caf::replies_to<actors_atom>::with<std::vector<notifier_actor>>, // its notifiers
    // From notifiers: room for n more jobs; what became of a job.
    caf::reacts_to<want_atom, std::string, uint32_t, std::string>, // sink, room, breaker state
    caf::reacts_to<done_atom, std::string, persistence::job, job_outcome>,
    // From the DLQ: a job of this sink is due again.
    caf::reacts_to<wake_atom, std::string>,
    // Own timer (due delayed jobs, stalled leases) and store results.
    caf::reacts_to<tick_atom>, caf::reacts_to<continue_atom, continuation>>;

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::notify_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::queue_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::notifier_actor>)
