#pragma once
// Plain data exchanged with the registry actor; no CAF here, so net/ code
// that never sees an actor can build and read these.
#include "actors/channel_options.hpp"
#include "actors/event.hpp"
#include "actors/frame_sink.hpp"
#include "actors/history_messages.hpp"
#include "actors/token_port.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald {

// Sessions are numbered with random 64-bit ids; clients see "s-<16 hex digits>".
using session_id = uint64_t;
std::string format_session_id(session_id id);
std::optional<session_id> parse_session_id(const std::string& text);

// A client's socket has been upgraded and authorised; it needs a session.
struct connect_request {
  std::shared_ptr<frame_sink> sink;
  std::string user;                  // empty: anonymous, named "anon:<session id>"
  std::vector<std::string> allowed;  // the token's channel patterns
  std::vector<std::string> channels; // joined at once (already checked)
  // `since.<channel>` of the upgrade: where the client was in those channels.
  std::map<std::string, persistence::history_position> since;
  // The last event of its inbox the client got: a fresh session replays
  // from there when the inbox still holds it, whatever the cursor says.
  std::string last_event_id;
  std::string resume_id;    // session_id to resume, if any
  std::string resume_token; // the welcome's resume_token: anonymous resumes need it
  uint64_t last_seq = 0;
  int64_t token_exp_s = 0; // the token's exp (Unix seconds; 0: none)
};

enum class publish_target { user, channel, broadcast };

// What a publisher learns.
struct publish_outcome {
  uint64_t delivered = 0; // live sessions on this node that got it
  bool stored = false;    // kept in the user's durable inbox or the channel's history
  uint64_t nodes = 0;     // other nodes it was sent to (Redis)
  event_frame event;      // as delivered (with its inbox position when stored)
};

// Answers a publisher exactly once: with the outcome when the registry
// delivers, or with nothing if the request is dropped unanswered.
class publish_reply {
public:
  explicit publish_reply(std::function<void(std::optional<publish_outcome>)> done)
      : done_(std::move(done)) {}
  publish_reply(const publish_reply&) = delete;
  publish_reply& operator=(const publish_reply&) = delete;
  ~publish_reply() {
    if (done_)
      done_(std::nullopt);
  }
  void operator()(publish_outcome outcome) {
    auto done = std::move(done_);
    done_ = nullptr;
    if (done)
      done(outcome);
  }

private:
  std::function<void(std::optional<publish_outcome>)> done_;
};

struct publish_request {
  publish_target target = publish_target::broadcast;
  std::string name; // the user or channel; empty for broadcast
  event_frame event;
  // Optional: answered right when the registry delivers, without a reply
  // message that would queue behind the deliveries it just sent.
  std::shared_ptr<publish_reply> reply;
  // Published on another node and received over the bus: already stored
  // there (or not), never stored or forwarded again.
  bool remote = false;
  // This node's sessions only (the console feed: every node has its own).
  bool local_only = false;
};

struct registry_stats {
  uint64_t sessions = 0;      // session actors alive, resumable ones included
  uint64_t attached = 0;      // sessions with a live socket
  uint64_t users = 0;         // users with at least one live socket
  uint64_t channels = 0;      // channels (user channels excluded) with at least one session
  uint64_t evicted_stale = 0; // sessions evicted for silence since start
};

struct presence_info {
  std::string user;
  bool connected = false;
  uint64_t sessions = 0;                                          // live sockets
  std::optional<std::chrono::system_clock::time_point> last_seen; // never seen: empty
};

// A channel's users and their live sessions (channels with presence).
struct channel_members {
  std::vector<std::pair<std::string, uint64_t>> users;
};

// A page of this node's channels (GET /api/v1/channels).
struct channel_page {
  uint64_t total = 0;                                     // channels matching the prefix
  std::vector<std::pair<std::string, uint64_t>> channels; // name, sessions
};

// Which sessions /api/v1/actors and the console ask for. The registry
// filters and, sorted by id, pages; other sorts need each session's live
// numbers, so the first `scan_max` matches (by id) are asked and sorted.
enum class session_sort { id, user, mailbox, outbound, last_seen };
struct session_query {
  std::string user;    // empty: any user
  std::string channel; // empty: any channel
  session_sort sort = session_sort::id;
  bool descending = false;
  uint64_t limit = 100;
  uint64_t offset = 0;
  uint64_t scan_max = 10'000;
};

// What every session is configured with.
struct session_limits {
  std::chrono::milliseconds heartbeat_interval{30000};
  std::chrono::milliseconds stale_after{300000};
  std::chrono::milliseconds resume_window{120000};
  uint64_t resume_buffer = 256;
  uint64_t max_frames_per_sec = 100;
  std::chrono::milliseconds rate_limit_close_after{10000};
  uint64_t max_channels = 100;
  // false: writing a stored event to the socket moves the user's inbox
  // cursor (docs/protocol.md); true: only the client's ack does.
  bool ack_required = false;
  // Report stored events written to sockets, for their receipts (delivery.receipts).
  bool receipts = true;
  // [[channels]]: which channels keep history, have presence, send join/leave.
  std::shared_ptr<const channel_rules> channels = std::make_shared<const channel_rules>();
  // The close frame of a shutdown tells the client to wait 0..this before reconnecting.
  std::chrono::milliseconds reconnect_spread{5000};
  // Checks a refresh frame's token (null: refresh is refused).
  std::shared_ptr<token_port> tokens;
  // token_expiring is sent this long before the token's exp; the session
  // closes 4001 at exp + leeway.
  std::chrono::milliseconds refresh_ahead{30000};
  std::chrono::milliseconds token_leeway{60000};
};

struct registry_limits {
  session_limits session;
  // How long a publish to a user waits for its inbox write before it is
  // delivered live anyway (and answered stored:false).
  std::chrono::milliseconds store_timeout{6000};
  std::chrono::milliseconds presence_retain{24 * 3600 * 1000};
  uint64_t presence_max_users = 1000000;
  // Sessions of one named user, live or resumable; a new one closes the oldest (4008).
  uint64_t max_per_user = 16;
  // Drains whose events some session has not yet taken from its mailbox.
  // At the bound, publishes wait (and so do their answers): publishers
  // cannot outrun the sessions.
  uint32_t batches_in_flight = 16;
  // Publishes waiting behind them at most; more are refused (503) or, from
  // the bus, dropped and counted.
  uint64_t publish_backlog_max = 100000;
};

} // namespace herald
