#pragma once
// A client session's logic with no actor in it: client frames in, frames to
// the socket and requests to the rest of Herald out. The session actor
// (session.cpp) owns one and only adapts messages to it; tests drive it
// directly (tests/unit/session_machine_test.cpp).
//
//   start ──► attached ──socket lost (resumable)──► detached ──resume_window──► quit
//               ▲  │                                   │
//               │  └─ client 1000 / violation / stale ─┼──────────────────────► quit
//               └──────────── attach (resume) ─────────┘
//
// While attached, a fresh session of a named user with a durable inbox is
// first `loading_inbox`: live events wait until the replay arrived, and an
// event both replayed and published live is sent once.
//
// Each history channel it joins is tracked (docs/history.md): until the
// channel's recovery arrives its live events wait; after it, an event at or
// below the offset already sent is a duplicate and is dropped.
#include "actors/actor_info.hpp"
#include "actors/client_protocol.hpp"
#include "actors/event.hpp"
#include "actors/frame_sink.hpp"
#include "actors/rate_window.hpp"
#include "actors/registry_types.hpp"
#include "actors/resume_buffer.hpp"
#include "actors/session_command.hpp"
#include "actors/token_port.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace herald {

using sink_ptr = std::shared_ptr<frame_sink>;

// What a session is told once, when it is made.
struct session_identity {
  session_id id = 0;
  std::string user;
  std::string resume_token;         // told in welcome; an anonymous resume must show it
  std::vector<std::string> allowed; // the token's channel patterns
  int64_t token_exp_s = 0;          // the token's exp (Unix seconds; 0: none)
  std::shared_ptr<const session_limits> limits = std::make_shared<const session_limits>();
};

// The machine asks the world through its pure virtual members (the
// effects): the actor shell implements them with messages, tests record them.
class session_machine {
public:
  // `durable_inbox`: replay the user's inbox after welcome, move its cursor.
  // `since`: the upgrade's since.<channel> for channels of `channels`.
  // `last_event_id`: the last event of its inbox the client says it got.
  session_machine(session_identity identity, std::vector<std::string> channels, bool durable_inbox,
                  std::map<std::string, persistence::history_position> since = {},
                  std::string last_event_id = {});
  virtual ~session_machine() = default;
  session_machine(const session_machine&) = delete;
  session_machine& operator=(const session_machine&) = delete;

  // Attaches the first socket and sends welcome (no socket: starts detached,
  // as a test of resume may want).
  void start(const sink_ptr& first_sink);

  // From the registry.
  void on_events(const std::vector<event_frame>& events);
  void on_heartbeat();
  // false: cannot resume. `token_exp_s`: the exp of the token the resume came with.
  bool on_attach(const sink_ptr& sink, uint64_t last_seq, int64_t token_exp_s = 0);
  // Closes 1001 with {"reconnect":true,"delay_ms":N}, N spread over
  // server.reconnect_spread; `spread_at` in [0, 1) picks N.
  void on_shutdown(double spread_at);
  void on_kick(uint16_t code);
  void on_command(const session_command& command); // the control API (session_tokens.cpp)
  // From the connection.
  void on_text(const std::string& text);
  void on_control_frames(uint32_t frames) { admit_frames(frames); }
  void on_detach(uint64_t sink_id, uint16_t code, bool resumable);
  // From the inbox.
  void on_replay(std::vector<event_frame> replay);
  // From the history actor.
  void on_history(channel_recovery recovery);
  // From the token port: a refresh frame's token checked.
  void on_token_checked(const token_result& checked);
  // From itself.
  void on_expire(uint64_t generation);
  void on_token_timer(uint64_t generation); // token_expiring, or 4001 at exp

  // The actor's mailbox ran dry, or it yields its thread with messages waiting.
  void on_idle() { flush(); }
  void on_yield();
  // A handler threw: the socket is closed with 1011 and the actor ends.
  void on_failure();

  actor_info info(size_t mailbox_size);
  int64_t last_inbound_wall_ns() const; // for presence
  rate_meter& meter() { return hot_.meter; }
  // What the next event will touch beyond this object (see session.cpp's prefetch).
  void prefetch() const;

  const session_identity& identity() const { return id_; }
  bool attached() const { return hot_.attached; }
  uint64_t seq() const { return hot_.seq; }
  bool loading_inbox() const { return hot_.loading_inbox; }
  const std::vector<std::string>& channels() const { return channels_; }

  // Frames held back while the actor yields its thread with messages still
  // waiting: past this many they are written anyway.
  static constexpr size_t unsent_max_on_yield = 32;

  // Kept first in the object (after its vtable pointer): what an event
  // touches, so a fan-out loads few cache lines per session
  // (runtime/README.md, "Layout").
  struct hot_part {
    uint64_t seq = 0;
    bool attached = false;
    bool loading_inbox = false;
    bool durable_inbox = false;
    // Held while attached: an event's write needs no reference count taken
    // (the connection's port holds the session only weakly).
    sink_ptr sink;
    resume_buffer buffer;
    // Event frames held back while more messages wait in the mailbox, so the
    // events of several registry drains leave in one socket write. Whatever
    // else is written goes after them.
    std::vector<out_frame> unsent;
    struct durable_state {
      std::vector<event_frame> held; // live events that came while the inbox loads
      std::unordered_set<std::string> replayed_ids;
      // Stored events recently sent, so an ack by id can move the cursor.
      std::vector<std::pair<std::string, persistence::inbox_pos>> recent_stored;
    };
    // Made when the session first loads its inbox or sends a stored event:
    // an idle or channel-only session holds one pointer for all of it.
    std::unique_ptr<durable_state> durable;
    rate_meter meter;
  };
  // From the start of the object to the end of hot_part.
  static constexpr size_t hot_bytes() { return sizeof(void*) + sizeof(hot_part); }

protected:
  // --- effects ------------------------------------------------------------------
  virtual int64_t now_ns() const = 0;               // the actor system's steady clock
  virtual bool more_waiting() const = 0;            // messages wait in the mailbox
  virtual std::shared_ptr<session_port> port() = 0; // for the socket to reach this session
  // To the registry.
  // A history channel's recovery comes back as on_history.
  virtual void joined(const std::string& channel, const history_since& since) = 0;
  virtual void left(const std::string& channel) = 0;
  virtual void attached_changed(bool attached) = 0;
  virtual void evicted() = 0;
  // To the inbox: read the user's stored events after the cursor, or after
  // `after_event` when the inbox holds it (they come back as on_replay).
  virtual void load_inbox(const std::string& after_event) = 0;
  virtual void move_cursor(const persistence::inbox_pos& reached) = 0;
  // The client acked up to `pos`: the cursor moves, and receipts say when.
  virtual void acked(const persistence::inbox_pos& pos) = 0;
  // Stored events written to the socket (for their receipts).
  virtual void delivered(std::vector<std::string> event_ids) = 0;
  // To itself: on_expire(generation) after `delay`.
  virtual void expire_after(std::chrono::milliseconds delay, uint64_t generation) = 0;
  // To itself: on_token_timer(generation) after `delay`.
  virtual void token_timer_after(std::chrono::milliseconds delay, uint64_t generation) = 0;
  // To the token port: the answer comes back as on_token_checked.
  virtual void check_token(std::string token) = 0;
  virtual int64_t wall_now_ms() const = 0; // Unix milliseconds
  virtual void quit() = 0;

private:
  hot_part::durable_state& durable_part();
  void flush();
  void hold_event(uint64_t seq, shared_bytes tail, int64_t made_ns, bool lone);
  void send_text(std::string text);
  void send_error(client_error code, const std::string& message);
  void send_welcome(bool resumed);
  void send_pong();
  std::vector<std::string> channel_list() const;
  void attach_sink(const sink_ptr& sink);
  void close_and_quit(uint16_t code, const std::string& reason, bool abort);
  void start_inbox_load();
  void write_events(const std::vector<event_frame>& events);
  struct channel_track {
    explicit channel_track(std::string name) : channel(std::move(name)) {}
    std::string channel;
    persistence::history_position sent; // the newest offset written (or known) and its epoch
    bool waiting = true;                // for the channel's recovery
    bool dropped = false;               // held events past session.resume_buffer were dropped
    std::vector<event_frame> held;      // live events that came meanwhile
  };
  channel_track* track_of(const std::string& channel);
  bool admit_history_event(const event_frame& ev);
  void send_subscribed(const std::string& channel, const history_since& since, bool recovered,
                       const persistence::history_position* now);
  void on_subscribe(const std::string& channel, const history_since& since);
  void join_channel(const std::string& channel, const history_since& since);
  void leave_channel(const std::string& channel);
  void on_refresh(const std::string& token);
  void arm_token_timer();
  void on_unsubscribe(const std::string& channel);
  void on_ack(const std::string& id);
  bool admit_frames(uint32_t frames);
  std::string component() const;

  hot_part hot_;
  session_identity id_;
  std::vector<std::string> channels_; // joined channels, sorted, user channel excluded
  int64_t last_inbound_ns_ = 0;
  rate_window rate_;
  uint64_t generation_ = 0; // bumped on every attach/detach; stale expiry timers see a mismatch
  uint64_t token_generation_ = 0;            // bumped when the token's timer is set again
  bool token_warned_ = false;                // token_expiring sent for the current exp
  bool refreshing_ = false;                  // a refresh token is being checked
  std::vector<std::string> server_channels_; // joined by the control API: kept on refresh
  // Made only for a session that joins a history channel or was given a
  // position at upgrade: every other session holds one pointer for it.
  struct recovery_part {
    std::vector<channel_track> tracks; // history channels joined
    std::string last_event_id;         // for the first inbox load only
    // Channels of the upgrade with since but no history: answered
    // recovered:false after welcome.
    std::vector<std::string> unrecoverable;
  };
  recovery_part& recovery();
  std::unique_ptr<recovery_part> recovery_;
};

} // namespace herald
