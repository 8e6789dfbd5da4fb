#pragma once
// The DLQ actor's typed interface: jobs that ran out of attempts, kept until
// an operator retries or deletes them; every new arrival raises the
// `dlq.job_dead` event on channel `admin`.
#include "actors/continuation.hpp"
#include "actors/notifier_protocol.hpp"
#include "actors/queue_protocol.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <vector>

namespace herald {

using dlq_actor = caf::typed_actor<
    // Newest first: at most `limit` after skipping `offset`.
    caf::replies_to<list_atom, uint64_t, uint64_t>::with<std::vector<persistence::job>>,
    caf::replies_to<retry_atom, std::string>::with<bool>, // false: unknown id
    caf::replies_to<delete_atom, std::string>::with<bool>,
    caf::reacts_to<dead_atom, persistence::job>, // from the queue: just buried
    caf::reacts_to<join_atom, queue_actor>,      // the queue to tell when a job is retried
    caf::replies_to<info_atom>::with<actor_info>, caf::reacts_to<continue_atom, continuation>>;

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::persistence::job>)
