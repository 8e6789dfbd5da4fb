#pragma once
// What the server's control API does to a user's sessions (docs/http-api.md):
// the registry hands one to every session of the user on this node, and the
// bus carries it to the other nodes.
#include <cstdint>
#include <string>

namespace herald {

struct session_command {
  enum class kind : uint8_t {
    subscribe,   // join `arg` (a channel) whatever the token allows; answered subscribed
    unsubscribe, // leave `arg`; answered unsubscribed
    inbox_read,  // tell the client the user's inbox was read up to `arg` (an event id)
    disconnect,  // close with `code` and reason `arg`; no resume
  };
  kind what = kind::subscribe;
  std::string arg;
  uint16_t code = 0;
};

} // namespace herald
