#pragma once
// Spawning the history actor (see history_protocol.hpp).
#include "actors/channel_options.hpp"
#include "actors/history_protocol.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace herald {
namespace persistence {
class store_worker;
}

// `worker` outlives the actor (main stops the actor system first).
history_actor spawn_history(caf::actor_system& sys,
                            std::shared_ptr<persistence::store_worker> worker,
                            std::shared_ptr<const channel_rules> rules);

} // namespace herald
