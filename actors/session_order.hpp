#pragma once
// Orders and pages sessions by their live numbers (mailbox, queued frames,
// last seen) or their user, once each has answered for itself: the registry
// knows none of these, so /api/v1/actors and the console sort here.
#include "actors/actor_info.hpp"
#include "actors/registry_types.hpp"

#include <vector>

namespace herald {

// Sorts `sessions` by q.sort (ties by name, so pages are stable), then keeps
// the page q.offset, q.limit.
void order_sessions(std::vector<actor_info>& sessions, const session_query& q);

} // namespace herald
