#pragma once
// A notifier actor's typed interface: one per sink, supervised by the queue
// actor. Before each send it asks the sink's rate limit and circuit breaker
// (its own, or the ones every node shares through the store:
// sink_admission.hpp), asks the queue for jobs while it has room, sends each
// over HTTP (http_port) and reports every outcome back to the queue, which
// owns the jobs' state.
#include "actors/actor_info_messages.hpp"
#include "actors/atoms.hpp"
#include "actors/continuation.hpp"
#include "actors/http_port.hpp"
#include "persistence/job.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace herald {

struct job_outcome {
  enum class kind {
    delivered,    // 2xx
    failed,       // other status, timeout, no connection: an attempt spent
    rate_limited, // 429: wait retry_after_ms, no attempt spent
    held,         // not sent (breaker open): wait retry_after_ms, no attempt spent
    gone,         // 404/410 from a push service: the subscription is gone, no retry
  };
  kind what = kind::failed;
  std::string error;
  int64_t retry_after_ms = 0;
};

using notifier_actor =
    caf::typed_actor<caf::reacts_to<job_atom, persistence::job>, // from the queue: deliver it
                     caf::reacts_to<sent_atom, std::string, http_response>, // from the HTTP client:
                                                                            // job id, answer
                     caf::reacts_to<pump_atom>, // own timer: send what may go now
                     caf::replies_to<info_atom>::with<actor_info>,
                     caf::reacts_to<continue_atom, continuation>>; // store results

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::persistence::job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::job_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::http_response)
