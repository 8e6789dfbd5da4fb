#pragma once
// The history actor's typed interface: channels' history in the store
// (docs/history.md). Like the inbox actor it owns no data: every read and
// write runs on the store worker's thread and its answer comes back here.
#include "actors/actor_info_messages.hpp"
#include "actors/atoms.hpp"
#include "actors/event_messages.hpp"
#include "actors/history_messages.hpp"
#include "actors/session_protocol.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace herald {

using history_actor = caf::typed_actor<
    // From the registry: keep a channel's event; the answer is the event
    // with its offset and epoch, or as it was when it could not be kept.
    caf::replies_to<append_atom, std::string, event_frame>::with<event_frame>,
    // From the registry, after a session joined a history channel: send the
    // session (history_atom) where the channel is and what it missed.
    caf::reacts_to<load_atom, std::string, history_since, session_actor>,
    caf::replies_to<info_atom>::with<actor_info>, caf::replies_to<stats_atom>::with<history_stats>,
    // From the store thread: an append's result (ticket); a read to count
    // and pass on to the session.
    caf::reacts_to<stored_atom, uint64_t, event_frame>,
    caf::reacts_to<history_atom, channel_recovery, session_actor>>;

} // namespace herald
