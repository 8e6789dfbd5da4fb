#pragma once
// The inbox actor's typed interface: users' durable inboxes and cursors.
// It owns no data itself: every read and write goes to the store worker's
// thread, and the answer comes back here as a message, so no actor blocks.
#include "actors/actor_info_messages.hpp"
#include "actors/atoms.hpp"
#include "actors/event_messages.hpp"
#include "actors/session_protocol.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace herald {

using user_event = std::pair<std::string, event_frame>; // the user, the event

using inbox_actor = caf::typed_actor<
    // From the registry: keep a user's event; the answer is the event marked
    // with its inbox position, or unmarked when it could not be stored.
    caf::replies_to<append_atom, std::string, event_frame>::with<event_frame>,
    // From the registry: a publish batch's user events, kept in one store
    // transaction; answered in the same order, each marked or not.
    caf::replies_to<batch_atom, std::vector<user_event>>::with<std::vector<event_frame>>,
    // From a fresh session: send it (replay_atom) the user's events newer
    // than the cursor (or than the event id given, when the inbox has it),
    // oldest first; always answered, empty on failure.
    caf::reacts_to<load_atom, std::string, std::string, session_actor>,
    // From sessions: an event reached one of the user's sockets or was acked.
    caf::reacts_to<cursor_atom, std::string, persistence::inbox_pos>,
    // From sessions: the client acked up to a position (cursor and ack log).
    caf::reacts_to<ack_atom, std::string, persistence::inbox_pos>,
    // From sessions: stored events written to its socket (session id, event ids).
    caf::reacts_to<receipt_atom, std::string, std::vector<std::string>>,
    caf::replies_to<info_atom>::with<actor_info>,
    // From the store thread (ticket, result).
    caf::reacts_to<stored_atom, uint64_t, event_frame>,
    caf::reacts_to<stored_atom, uint64_t, std::vector<event_frame>>,
    // Own timers: write the coalesced cursors; drop expired events.
    caf::reacts_to<flush_atom>, caf::reacts_to<tick_atom>>;

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::persistence::inbox_pos)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::user_event>)
