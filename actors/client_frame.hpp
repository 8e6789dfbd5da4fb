#pragma once
// What a client may send on its socket (client_protocol.hpp), decoded from the text
// of one frame into a typed request, or into the error frame it earns.
// Pure: no actor, no socket; the session acts on what this returns.
#include "actors/client_protocol.hpp"
#include "actors/history_messages.hpp"

#include <string>
#include <string_view>

namespace herald {

struct client_frame {
  enum class kind { ping, subscribe, unsubscribe, ack, refresh, invalid };
  kind type = kind::invalid;
  std::string arg;     // subscribe/unsubscribe: the channel; ack: the event id; refresh: the token
  history_since since; // subscribe: {"since":{"offset":N,"epoch":"…"}}
  client_error error = client_error::bad_frame; // invalid: bad_json, bad_frame or unknown_type
  std::string error_message;                    // invalid: for the error frame
};

// Decodes one text frame. JSON nesting deeper than server.max_json_depth
// is bad_json. Never throws on any input.
client_frame decode_client_frame(std::string_view text);

} // namespace herald
