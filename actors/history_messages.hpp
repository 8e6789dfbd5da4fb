#pragma once
// What travels between the registry, the history actor and sessions about a
// channel's history (docs/history.md). Plain data, no CAF beyond the
// declarations that let CAF carry it.
#include "actors/event.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <string>
#include <vector>

namespace herald {

// Where a client says it was in a channel: `since` of subscribe or of the upgrade.
struct history_since {
  bool given = false;
  persistence::history_position at;
};

// A session's answer to joining a history channel: where the channel is now
// and, when the client gave `since`, what it missed.
struct channel_recovery {
  std::string channel;
  history_since since;
  bool recovered = false;            // only meaningful when since.given
  persistence::history_position now; // epoch and newest offset at the read
  std::vector<event_frame> events;   // the replay, oldest first
  bool failed = false;               // the store could not be read
};

// Counters of the history actor, for /metrics and the console.
struct history_stats {
  uint64_t appended = 0;
  uint64_t append_failures = 0;
  uint64_t recovered = 0;     // recoveries that proved nothing was missed
  uint64_t not_recovered = 0; // recoveries answered recovered:false
  // Channels this node wrote to lately and how many events each keeps.
  std::vector<std::pair<std::string, uint64_t>> channels;
};

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::history_since)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::channel_recovery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::history_stats)
