#pragma once
// The registry actor's typed interface: who is connected, channel membership,
// last_seen, heartbeat and stale eviction, fan-out of published events.
#include "actors/atoms.hpp"
#include "actors/registry_types.hpp"
#include "actors/session_protocol.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace herald {

// One page of the registry's sessions, for /api/v1/actors.
struct session_page {
  uint64_t total = 0; // sessions matching the filter
  std::vector<session_actor> sessions;
};

using registry_actor = caf::typed_actor<
    // From net: a new authorised socket (fresh session or resume).
    caf::reacts_to<connect_atom, connect_request>,
    // From the HTTP API.
    caf::replies_to<publish_atom, publish_request>::with<publish_outcome>,
    // A publish batch: its user events kept in one transaction, then each
    // delivered in order; each answered through its request's reply.
    caf::reacts_to<batch_atom, std::vector<publish_request>>,
    caf::replies_to<stats_atom>::with<registry_stats>, caf::replies_to<info_atom>::with<actor_info>,
    caf::replies_to<members_atom, std::string>::with<uint64_t>, // sessions in a channel
    // The matching sessions: a page when sorted by id, else up to scan_max.
    caf::replies_to<actors_atom, session_query>::with<session_page>,
    caf::replies_to<presence_atom, std::string>::with<presence_info>,
    caf::replies_to<who_atom, std::string>::with<channel_members>, // a channel's users here
    // prefix, after, limit
    caf::replies_to<channels_atom, std::string, std::string, uint64_t>::with<channel_page>,
    // The control API: to every session of a user here; answers how many.
    caf::replies_to<command_atom, std::string, session_command>::with<uint64_t>,
    // From sessions (session id first).
    caf::reacts_to<join_atom, session_id, std::string, history_since>,
    caf::reacts_to<leave_atom, session_id, std::string>,
    caf::reacts_to<status_atom, session_id, bool>, // attached to a socket or not
    caf::reacts_to<evicted_atom, session_id>,
    // Timer and lifecycle.
    caf::reacts_to<tick_atom>,
    caf::reacts_to<drain_atom>,   // deliver the publishes corked since the last drain
    caf::reacts_to<drained_atom>, // every session has taken one drain's events
    caf::reacts_to<trim_atom>,    // idle: free spare fan-out elements, a slice at a time
    caf::reacts_to<gone_atom, session_id, caf::error>, // a session ended (and why)
    caf::reacts_to<resync_atom>, // Redis (re)connected: write this node's presence again
    // A user's first session joined a channel with join_leave (true), or its
    // last left, on every node: send the frame to the channel.
    caf::reacts_to<announce_atom, std::string, std::string, bool>, caf::reacts_to<shutdown_atom>>;

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::connect_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::publish_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<herald::publish_request>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::publish_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::registry_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::presence_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::session_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::session_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::channel_members)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::channel_page)
