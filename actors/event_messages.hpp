#pragma once
// Events travel between actors of this process only, as shared pointers:
// CAF may carry them without serialization.
#include "actors/event.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <vector>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::event_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::event_frame>)
