#pragma once
// The registry actor: supervisor of every session (see registry_protocol.hpp).
#include "actors/inbox_protocol.hpp"
#include "actors/registry_protocol.hpp"

#include <caf/fwd.hpp>

namespace herald {

// `inbox` may be invalid: then nothing is stored.
registry_actor spawn_registry(caf::actor_system& sys, registry_limits limits,
                              inbox_actor inbox = {});

} // namespace herald
