#pragma once
// The protocol a client speaks on its WebSocket, in one place: the frames it
// sends, the frames Herald sends, the error codes of an `error` frame and the
// close codes. docs/protocol.md describes each with examples; a change here
// is a change to every client and must be made there too.
#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

// `"type"` of a frame the client sends.
namespace client_type {
constexpr std::string_view ping = "ping";           // → pong
constexpr std::string_view subscribe = "subscribe"; // {"channel","since"?} → subscribed | error
constexpr std::string_view unsubscribe = "unsubscribe"; // {"channel"} → unsubscribed | error
constexpr std::string_view ack = "ack";                 // {"id"}: a stored event reached the app
constexpr std::string_view auth = "auth";       // {"token"}: first frame of an auth=frame upgrade
constexpr std::string_view refresh = "refresh"; // {"token"} → refreshed | error
} // namespace client_type

// `"type"` of a frame Herald sends.
namespace server_type {
constexpr std::string_view welcome = "welcome";                   // first frame of every connection
constexpr std::string_view session_restored = "session_restored"; // after welcome, on resume
constexpr std::string_view event = "event";
constexpr std::string_view subscribed = "subscribed"; // history channels: offset, epoch, recovered
constexpr std::string_view unsubscribed = "unsubscribed";
constexpr std::string_view pong = "pong";
constexpr std::string_view join = "join";   // {"channel","user"}: a user's first session joined
constexpr std::string_view leave = "leave"; // {"channel","user"}: a user's last session left
constexpr std::string_view error = "error"; // {"code","message"}; the connection stays open
constexpr std::string_view token_expiring = "token_expiring"; // {"in_ms"}: send refresh before exp
constexpr std::string_view refreshed = "refreshed";           // {"exp"}: the new token holds
constexpr std::string_view inbox_read = "inbox_read"; // {"up_to"}: the user's inbox read up to it
} // namespace server_type

// `"code"` of an error frame.
enum class client_error {
  bad_json,          // not JSON, or nested deeper than server.max_json_depth
  bad_frame,         // JSON, but not a frame of the right shape
  unknown_type,      // a "type" this server does not know
  forbidden_channel, // the token does not grant it, it is reserved, or it is the user channel
  too_many_channels, // session.max_channels reached
  rate_limited,      // over session.max_frames_per_sec: frames are dropped
  bad_token,         // a refresh token that is invalid or names another user
};

constexpr std::string_view code_text(client_error e) {
  switch (e) {
    case client_error::bad_json:
      return "bad_json";
    case client_error::bad_frame:
      return "bad_frame";
    case client_error::unknown_type:
      return "unknown_type";
    case client_error::forbidden_channel:
      return "forbidden_channel";
    case client_error::too_many_channels:
      return "too_many_channels";
    case client_error::rate_limited:
      return "rate_limited";
    case client_error::bad_token:
      return "bad_token";
  }
  return "bad_frame";
}

// Close codes Herald sends (RFC 6455 §7.4 plus private 4xxx codes).
namespace close_code {
constexpr uint16_t normal = 1000;
constexpr uint16_t going_away = 1001;       // server shutting down
constexpr uint16_t protocol_error = 1002;   // a frame RFC 6455 forbids
constexpr uint16_t unsupported_data = 1003; // a binary frame
constexpr uint16_t no_status = 1005;
constexpr uint16_t abnormal = 1006;         // never sent: the socket was lost
constexpr uint16_t invalid_payload = 1007;  // a text frame that is not UTF-8
constexpr uint16_t policy_violation = 1008; // over the frame rate limit for too long
constexpr uint16_t too_big = 1009;          // over server.max_message_bytes
constexpr uint16_t internal_error = 1011;
constexpr uint16_t try_again_later = 1013;   // the client reads too slowly (outbound_queue_max)
constexpr uint16_t stale = 4001;             // no inbound frame for heartbeat.stale_after
constexpr uint16_t auth_failed = 4001;       // no good auth frame in time; the token expired
constexpr uint16_t replaced = 4002;          // the session was resumed on another socket
constexpr uint16_t disconnected = 4003;      // POST /api/v1/disconnect (its default code)
constexpr uint16_t too_many_sessions = 4008; // the user opened more than session.max_per_user
} // namespace close_code

// The reason of a shutdown's 1001: when to reconnect (docs/protocol.md).
inline std::string reconnect_reason(int64_t delay_ms) {
  return "{\"reconnect\":true,\"delay_ms\":" + std::to_string(delay_ms) + "}";
}

} // namespace herald
