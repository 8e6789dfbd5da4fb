#pragma once
// The registry actor: supervisor of every session (see registry_protocol.hpp).
#include "actors/history_protocol.hpp"
#include "actors/inbox_protocol.hpp"
#include "actors/registry_protocol.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace herald {

namespace persistence {
class cluster_link;
}

// Where the registry runs. On a thread of its own it takes publishes and
// drains while the sessions of earlier drains are still being scheduled
// (they then write several drains at once); `scheduled` shares the
// scheduler's workers, as a deterministic test scheduler needs.
enum class registry_thread { own, scheduled };

// `inbox` may be invalid: then nothing is stored; `history` too: then no
// channel keeps history. `cluster` may be null: a single node (else
// presence changes are shared through it).
registry_actor spawn_registry(caf::actor_system& sys, registry_limits limits,
                              registry_thread thread = registry_thread::own, inbox_actor inbox = {},
                              history_actor history = {},
                              std::shared_ptr<persistence::cluster_link> cluster = nullptr);

} // namespace herald
