#pragma once
// The registry actor: supervisor of every session (see registry_protocol.hpp).
#include "actors/registry_protocol.hpp"

#include <caf/fwd.hpp>

namespace herald {

registry_actor spawn_registry(caf::actor_system& sys, registry_limits limits);

} // namespace herald
