#pragma once
// actor_info travels between actors of this process only.
#include "actors/actor_info.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <vector>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::actor_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::actor_info>)
