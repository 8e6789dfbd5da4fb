#pragma once
// Events travel between actors of this process only, as shared pointers:
// CAF may carry them without serialization.
#include "actors/event.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <memory>
#include <vector>

namespace herald {

// The events of one registry drain for one target, in publish order: the
// same list for every session the target reaches.
using event_list = std::shared_ptr<const std::vector<event_frame>>;

// A session's share of a drain. The drain counts as taken once every
// session has dropped its share (the message handled, or discarded with a
// mailbox that closed); what it is matters only to the registry.
using drain_share = std::shared_ptr<const void>;

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::event_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::event_frame>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::event_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::drain_share)
