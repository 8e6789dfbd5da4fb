#pragma once
// Asking many actors for their actor_info at once, from outside the actor
// system, without blocking a thread.
#include "actors/actor_info.hpp"

#include <caf/fwd.hpp>

#include <functional>
#include <vector>

namespace herald {

// Asks every target (1 s for the whole round); `done` gets the answers in the targets'
// order, without those that did not answer, exactly once, on a CAF thread.
void collect_info(caf::actor_system& sys, std::vector<caf::actor> targets,
                  std::function<void(std::vector<actor_info>)> done);

} // namespace herald
