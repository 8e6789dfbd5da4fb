#pragma once
// The registry actor: supervisor of every session (see registry_protocol.hpp).
#include "actors/inbox_protocol.hpp"
#include "actors/registry_protocol.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace herald {

namespace persistence {
class cluster_link;
}

// `inbox` may be invalid: then nothing is stored. `cluster` may be null: a
// single node (else presence changes are shared through it).
registry_actor spawn_registry(caf::actor_system& sys, registry_limits limits,
                              inbox_actor inbox = {},
                              std::shared_ptr<persistence::cluster_link> cluster = nullptr);

} // namespace herald
