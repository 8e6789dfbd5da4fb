#pragma once
// Spawning the inbox actor (see inbox_protocol.hpp).
#include "actors/inbox_protocol.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace herald {
namespace persistence {
class store_worker;
}

// `worker` outlives the actor (main stops the actor system first).
// `node` names this node in receipts (GET /api/v1/events/{id}).
inbox_actor spawn_inbox(caf::actor_system& sys, std::shared_ptr<persistence::store_worker> worker,
                        std::string node = "local");

} // namespace herald
