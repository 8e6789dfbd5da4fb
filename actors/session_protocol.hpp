#pragma once
// The session actor's typed interface: one actor per client session, owning
// its seq counter, its resume buffer and its channel list. It outlives its
// socket for session.resume_window so the client can resume.
#include "actors/actor_info_messages.hpp"
#include "actors/atoms.hpp"
#include "actors/event_messages.hpp"
#include "actors/frame_sink.hpp"
#include "actors/history_messages.hpp"
#include "actors/session_command.hpp"
#include "actors/token_port.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace herald {

using sink_ptr = std::shared_ptr<frame_sink>;

// Dispatch tries these in order (runtime/typed_dispatch.hpp): the message
// of a fan-out comes first.
using session_actor = caf::typed_actor<
    caf::reacts_to<event_atom, event_list, drain_share>, // from the registry
    // From the connection.
    caf::reacts_to<inbound_atom, std::string>,             // a text frame
    caf::reacts_to<touch_atom, uint32_t>,                  // control frames of one read
    caf::reacts_to<detach_atom, uint64_t, uint16_t, bool>, // sink id, close code, resumable
    // From the registry.
    caf::reacts_to<heartbeat_atom>, // ping, or evict if silent past stale_after
    // Resume on a new socket (its token's exp).
    caf::replies_to<attach_atom, sink_ptr, uint64_t, int64_t>::with<bool>,
    caf::reacts_to<shutdown_atom>,                 // close 1001 and quit
    caf::reacts_to<kick_atom, uint16_t>,           // close with this code and quit (no resume)
    caf::reacts_to<command_atom, session_command>, // the control API
    // From the inbox: the user's stored events for a fresh session.
    caf::reacts_to<replay_atom, std::vector<event_frame>>,
    // From the history actor: a history channel joined (its position, and
    // the replay when the client gave since).
    caf::reacts_to<history_atom, channel_recovery>,
    // From the token port: a refresh frame's token checked.
    caf::reacts_to<checked_atom, token_result>,
    caf::replies_to<info_atom>::with<actor_info>, // for /api/v1/actors
    // Wall-clock ns of the last inbound frame (the registry's presence view
    // of a connected user is refreshed at most once a second).
    caf::replies_to<seen_atom>::with<int64_t>,
    // Own messages.
    caf::reacts_to<expire_atom, uint64_t>, // resume window over (generation)
    caf::reacts_to<token_atom, uint64_t>>; // token_expiring or exp (generation)

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::sink_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::session_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::token_result)
