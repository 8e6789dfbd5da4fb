#include "actors/session.hpp"

#include "actors/channel_policy.hpp"
#include "actors/client_frame.hpp"
#include "actors/compact_actor.hpp"
#include "actors/exception_text.hpp"
#include "actors/fanout_element.hpp"
#include "actors/latency_histogram.hpp"
#include "actors/rate_window.hpp"
#include "actors/resume_buffer.hpp"
#include "config/log.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"

#include <caf/local_actor.hpp>
#include <caf/make_actor.hpp>
#include <caf/send.hpp>
#include <caf/actor_cast.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_set>

namespace herald {

namespace {

// Holds the session weakly: the session holds its connection, and the
// registry (its supervisor) is what keeps a session alive.
class actor_session_port final : public session_port {
public:
  explicit actor_session_port(const session_actor& actor) : actor_(actor.address()) {}
  void on_text(std::string text) override { tell(inbound_atom::value, std::move(text)); }
  void on_touch(uint32_t frames) override { tell(touch_atom::value, frames); }
  void on_closed(uint64_t sink_id, uint16_t code, bool resumable) override {
    tell(detach_atom::value, sink_id, code, resumable);
  }

private:
  template <class... Ts>
  void tell(Ts&&... xs) {
    if (auto actor = caf::actor_cast<session_actor>(actor_))
      caf::anon_send(actor, std::forward<Ts>(xs)...);
  }
  caf::actor_addr actor_;
};

//  Session life:
//
//   spawn ──► attached ──socket lost (resumable)──► detached ──resume_window──► quit
//               ▲  │                                   │
//               │  └─ client 1000 / violation / stale ─┼──────────────────────► quit
//               └──────────── attach (resume) ─────────┘
bool has_channel(const std::vector<std::string>& list, const std::string& c) {
  return std::binary_search(list.begin(), list.end(), c);
}

void add_channel(std::vector<std::string>& list, const std::string& c) {
  auto at = std::lower_bound(list.begin(), list.end(), c);
  if (at == list.end() || *at != c)
    list.insert(at, c);
}

bool remove_channel(std::vector<std::string>& list, const std::string& c) {
  auto at = std::lower_bound(list.begin(), list.end(), c);
  if (at == list.end() || *at != c)
    return false;
  list.erase(at);
  return true;
}

// What a session keeps of its session_init once it runs (the socket and the
// channels to join are taken over at the start).
struct session_identity {
  session_id id = 0;
  std::string user;
  std::string resume_token;
  std::vector<std::string> allowed;
  std::shared_ptr<const session_limits> limits;
  registry_actor registry;
  inbox_actor inbox;
};

// What an event touches, laid out first after the actor's own fields so a
// fan-out loads few cache lines per session (see session_core::prefetch).
struct session_event_state {
  uint64_t seq = 0;
  bool attached = false;
  // Durable inbox: while the replay is being read, live events wait in
  // `held`; events the replay delivered are not delivered again live.
  bool loading_inbox = false;
  // Held while attached: an event's write needs no reference count taken
  // (the connection's port holds the session only weakly).
  sink_ptr sink;
  resume_buffer buffer;
  // Event frames held back while more messages wait in this actor's
  // mailbox, so the events of several registry drains leave in one socket
  // write. Whatever else is written goes after them.
  std::vector<out_frame> unsent;
  struct durable_state {
    std::vector<event_frame> held;
    std::unordered_set<std::string> replayed_ids;
    // Stored events recently sent, so an ack by id can move the cursor.
    std::vector<std::pair<std::string, persistence::inbox_pos>> recent_stored;
  };
  // Made when the session first loads its inbox or sends a stored event:
  // an idle or channel-only session holds one pointer for all of it.
  std::unique_ptr<durable_state> durable;
  durable_state& durable_part() {
    if (!durable)
      durable = std::make_unique<durable_state>();
    return *durable;
  }
  rate_meter meter;
};

struct session_state : session_event_state {
  session_identity init;
  uint64_t sink_id = 0;
  std::vector<std::string> channels;  // joined channels, sorted, user channel excluded
  int64_t last_inbound_ns = 0;
  rate_window rate;
  uint64_t generation = 0;  // bumped on every attach/detach; stale expiry timers see a mismatch
};

// Frames held back while the actor yields its thread with messages still
// waiting: past this many they are written anyway.
constexpr size_t unsent_max_on_yield = 32;
// Room a session's held frames start with: 8 frames stay under 1 KiB, an
// allocation size the allocator serves from its per-thread cache.
constexpr size_t unsent_first_room = 8;

// The session actor: a compact actor (no behavior stack) that dispatches on
// the message's leading atom; see session_protocol.hpp for the interface.
class session_core final : public compact_actor {
public:
  // Runs before the actor is scheduled: nothing else sees its state yet.
  session_core(caf::actor_config& cfg, session_init init) : compact_actor(cfg), first_sink_(std::move(init.sink)) {
    state.init = {init.id,       std::move(init.user),   std::move(init.resume_token), std::move(init.allowed),
                  std::move(init.limits), std::move(init.registry), std::move(init.inbox)};
    for (auto& c : init.channels)
      add_channel(state.channels, c);
  }
  const char* name() const override { return "session"; }

  session_state state;

  using compact_actor::mailbox_empty;
  using compact_actor::mailbox_size;
  using compact_actor::now;
  using compact_actor::quit;
  using compact_actor::tell;
  using compact_actor::tell_self_after;

  session_actor handle() { return caf::actor_cast<session_actor>(caf::strong_actor_ptr{ctrl()}); }

private:
  void on_start() override;
  void handle(caf::mailbox_element& x) override;
  void on_idle() override;
  void on_yield() override;
  void on_exception(std::exception_ptr eptr) override;
  void prefetch() const override;

  sink_ptr first_sink_;  // the socket it starts on (none in tests of a detached start)
};

using self_ptr = session_core*;

int64_t now_ns(self_ptr self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(self->now().time_since_epoch()).count();
}

std::string component(self_ptr self) { return "session " + format_session_id(self->state.init.id); }

void flush(self_ptr self) {
  auto& st = self->state;
  if (st.unsent.empty())
    return;
  auto frames = std::move(st.unsent);
  st.unsent = {};
  if (!st.attached)
    return;
  if (auto& s = st.sink) {
    auto now = steady_now_ns();
    latency_histogram::batch observed{publish_to_write()};
    for (auto& f : frames)
      observed.add(now - f.made_ns);
    s->send(std::move(frames));
  }
}

void hold_event(self_ptr self, uint64_t seq, shared_bytes tail, int64_t made_ns, bool lone) {
  auto f = event_out_frame(seq, std::move(tail));
  f.made_ns = made_ns;
  auto& st = self->state;
  // A lone event with nothing held and nothing else waiting (a fan-out's
  // usual case) goes out at once, without a batch to build.
  if (lone && st.unsent.empty() && self->mailbox_empty()) {
    if (auto& s = st.sink) {
      publish_to_write().observe_ns(steady_now_ns() - made_ns);
      s->send(std::move(f));
    }
    return;
  }
  // Frames are large (their header room is inline) and a burst holds many:
  // start with room for several rather than reallocating at 1, 2 and 4.
  if (st.unsent.empty())
    st.unsent.reserve(unsent_first_room);
  st.unsent.push_back(std::move(f));
}

void send_text(self_ptr self, std::string text) {
  if (!self->state.attached)
    return;
  flush(self);
  if (auto& s = self->state.sink)
    s->send(out_frame::owned(std::move(text)));
}

void send_json(self_ptr self, const nlohmann::json& j) { send_text(self, json_text(j)); }

void send_error(self_ptr self, const char* code, const std::string& message) {
  send_json(self, {{"type", "error"}, {"code", code}, {"message", message}});
}

nlohmann::json channel_list(self_ptr self) {
  auto out = nlohmann::json::array({user_channel(self->state.init.user)});
  for (auto& c : self->state.channels)
    out.push_back(c);
  return out;
}

void send_welcome(self_ptr self, bool resumed) {
  send_json(self, {{"type", "welcome"},
                   {"session_id", format_session_id(self->state.init.id)},
                   {"resume_token", self->state.init.resume_token},
                   {"user", self->state.init.user},
                   {"channels", channel_list(self)},
                   {"heartbeat_ms", self->state.init.limits->heartbeat_interval.count()},
                   {"resumed", resumed}});
}

// The client is alive. Only the session keeps this clock: it evicts itself
// when a heartbeat finds it silent past stale_after, and presence of a
// connected user asks its sessions (seen_atom), so no frame wakes the
// registry.
void touch(self_ptr self) { self->state.last_inbound_ns = now_ns(self); }

void attach_sink(self_ptr self, const sink_ptr& sink) {
  auto& st = self->state;
  st.unsent = {};  // meant for an earlier socket; the resume replays them from the buffer
  st.sink = sink;
  st.sink_id = sink->id();
  st.attached = true;
  ++st.generation;
  sink->bind(make_session_port(self->handle()));
}

std::string kick_reason(uint16_t code) {
  return code == close_code::too_many_sessions ? "too many sessions for this user (session.max_per_user)"
                                               : "closed by the server";
}

// Ends the session for good (no resume).
void close_and_quit(self_ptr self, uint16_t code, const std::string& reason, bool abort) {
  flush(self);
  auto& st = self->state;
  if (st.attached && st.sink)
    st.sink->close(code, reason, abort);
  st.attached = false;
  st.sink.reset();
  self->quit();
}

// Sends events as one batch (the connection writes them together), giving
// each the next seq and keeping it for resume. Stored events that reach the
// socket move the user's inbox cursor.
void deliver(self_ptr self, const std::vector<event_frame>& evs) {
  auto& st = self->state;
  if (st.loading_inbox) {
    auto& held = st.durable_part().held;
    held.insert(held.end(), evs.begin(), evs.end());
    return;
  }
  persistence::inbox_pos reached;
  bool lone = evs.size() == 1;
  for (auto& ev : evs) {
    if (ev.stored()) {
      auto& d = st.durable_part();
      if (d.replayed_ids.erase(ev.id()))
        continue;  // the inbox replay already sent it
      d.recent_stored.emplace_back(ev.id(), ev.pos());
      if (d.recent_stored.size() > st.init.limits->resume_buffer)
        d.recent_stored.erase(d.recent_stored.begin());
      if (st.attached && !st.init.limits->ack_required)
        reached = std::max(reached, ev.pos());
    }
    auto tail = ev.tail();
    st.buffer.push(++st.seq, tail);
    if (st.attached)
      hold_event(self, st.seq, std::move(tail), ev.made_ns(), lone);
  }
  // The held frames leave when the mailbox runs dry (on_idle) or before
  // anything else is written.
  if (!reached.empty() && st.init.inbox)
    self->tell(st.init.inbox, cursor_atom::value, st.init.user, reached);
}

// The inbox replay arrived (or failed: empty): replay it, then what waited.
void finish_inbox_load(self_ptr self, std::vector<event_frame> replay) {
  auto& st = self->state;
  st.loading_inbox = false;
  std::vector<event_frame> held;
  if (st.durable)
    held.swap(st.durable->held);
  std::vector<std::string> ids;
  for (auto& ev : replay)
    ids.push_back(ev.id());
  deliver(self, replay);
  // An event both replayed and published live (held now, or still on its
  // way) is sent once, by the replay.
  if (!ids.empty()) {
    auto& d = st.durable_part();
    for (auto& id : ids)
      d.replayed_ids.insert(std::move(id));
  }
  if (!held.empty())
    deliver(self, held);
}

void start_inbox_load(self_ptr self) {
  auto& st = self->state;
  st.loading_inbox = true;
  self->tell(st.init.inbox, load_atom::value, st.init.user, self->handle());
}

void handle_ack(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (!st.durable)
    return;
  auto& recent = st.durable->recent_stored;
  for (auto it = recent.rbegin(); it != recent.rend(); ++it)
    if (it->first == id) {
      if (st.init.inbox)
        self->tell(st.init.inbox, cursor_atom::value, st.init.user, it->second);
      return;
    }
  // Not a stored event this session sent recently (a channel event, or an
  // old one): nothing to move.
}

void handle_subscribe(self_ptr self, const std::string& channel) {
  auto& st = self->state;
  switch (check_channel(st.init.allowed, channel)) {
    case channel_check::bad_name:
      return send_error(self, "bad_frame", "a channel name is 1 to 200 bytes");
    case channel_check::reserved:
    case channel_check::forbidden:
      return send_error(self, "forbidden_channel", "not allowed to join " + channel);
    case channel_check::ok:
      break;
  }
  if (!has_channel(st.channels, channel)) {
    if (st.channels.size() >= st.init.limits->max_channels)
      return send_error(self, "too_many_channels",
                        "session.max_channels (" + std::to_string(st.init.limits->max_channels) +
                            ") reached");
    add_channel(st.channels, channel);
    if (st.init.registry)
      self->tell(st.init.registry, join_atom::value, st.init.id, channel);
  }
  send_json(self, {{"type", "subscribed"}, {"channel", channel}});
}

void handle_unsubscribe(self_ptr self, const std::string& channel) {
  auto& st = self->state;
  if (channel == user_channel(st.init.user))
    return send_error(self, "forbidden_channel", "a session cannot leave its user channel");
  if (remove_channel(st.channels, channel) && st.init.registry)
    self->tell(st.init.registry, leave_atom::value, st.init.id, channel);
  send_json(self, {{"type", "unsubscribed"}, {"channel", channel}});
}

// The same bytes nlohmann writes for {"type":"pong","timestamp":…} (its
// objects keep keys sorted), without building a JSON tree.
void send_pong(self_ptr self) {
  send_text(self, "{\"timestamp\":\"" + rfc3339_now() + "\",\"type\":\"pong\"}");
}

void handle_frame(self_ptr self, const std::string& text) {
  auto frame = decode_client_frame(text);
  switch (frame.type) {
    case client_frame::kind::ping:
      return send_pong(self);  // the frame already counted as a sign of life
    case client_frame::kind::subscribe:
      return handle_subscribe(self, frame.arg);
    case client_frame::kind::unsubscribe:
      return handle_unsubscribe(self, frame.arg);
    case client_frame::kind::ack:
      return handle_ack(self, frame.arg);
    case client_frame::kind::invalid:
      return send_error(self, frame.error_code.c_str(), frame.error_message);
  }
}

// Counts inbound frames (text or control) against session.max_frames_per_sec;
// false when it is dropped (and the session perhaps closed).
bool admit_frames(self_ptr self, uint32_t frames) {
  ++self->state.meter.processed;
  touch(self);
  switch (self->state.rate.on_frame(self->state.last_inbound_ns, frames)) {
    case rate_verdict::accept:
      return true;
    case rate_verdict::reject_first:
      send_error(self, "rate_limited", "over session.max_frames_per_sec; frames are dropped");
      return false;
    case rate_verdict::reject:
      return false;
    case rate_verdict::disconnect:
      log::info(component(self), "closing: over the frame rate limit for too long");
      close_and_quit(self, close_code::policy_violation, "rate limit exceeded", false);
      return false;
  }
  return false;
}

void on_inbound(self_ptr self, const std::string& text) {
  if (admit_frames(self, 1))
    handle_frame(self, text);
}

// Pings and pongs of one read: counted like text frames (CONTRACT §7).
void on_control_frames(self_ptr self, uint32_t frames) { admit_frames(self, frames); }

void on_detach(self_ptr self, uint64_t sink_id, uint16_t code, bool resumable) {
  ++self->state.meter.processed;
  auto& st = self->state;
  if (!st.attached || sink_id != st.sink_id)
    return;  // an older socket of a resumed session
  st.attached = false;
  st.sink.reset();
  st.unsent = {};  // kept in the resume buffer
  if (!resumable || st.init.limits->resume_window.count() == 0) {
    log::debug(component(self), "closed (" + std::to_string(code) + ")");
    return self->quit();
  }
  ++st.generation;
  if (st.init.registry)
    self->tell(st.init.registry, status_atom::value, st.init.id, false);
  self->tell_self_after(st.init.limits->resume_window, expire_atom::value, st.generation);
}

// Every heartbeat.interval: a session silent for stale_after is evicted,
// any other gets a protocol ping.
void on_heartbeat(self_ptr self) {
  ++self->state.meter.processed;
  auto& st = self->state;
  if (!st.attached)
    return;
  auto stale_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(st.init.limits->stale_after).count();
  if (now_ns(self) - st.last_inbound_ns >= stale_ns) {
    log::info(component(self), "evicted: no inbound frame for heartbeat.stale_after");
    if (st.init.registry)
      self->tell(st.init.registry, evicted_atom::value, st.init.id);
    return close_and_quit(self, close_code::stale, "stale: no inbound frame", true);
  }
  flush(self);
  if (st.sink)
    st.sink->ping();
}

bool on_attach(self_ptr self, const sink_ptr& sink, uint64_t last_seq) {
  ++self->state.meter.processed;
  auto& st = self->state;
  if (!sink || !st.buffer.covers(last_seq, st.seq))
    return false;
  if (st.attached && st.sink)
    st.sink->close(close_code::replaced, "session resumed on another connection", false);
  attach_sink(self, sink);
  touch(self);
  auto missed = st.buffer.after(last_seq);
  send_welcome(self, true);
  send_json(self, {{"type", "session_restored"},
                   {"session_id", format_session_id(st.init.id)},
                   {"replayed", missed.size()}});
  std::vector<out_frame> frames;
  frames.reserve(missed.size());
  for (auto& [seq, tail] : missed)
    frames.push_back(event_out_frame(seq, tail));
  if (!frames.empty())
    sink->send(std::move(frames));
  // Stored events buffered while detached have now reached a socket.
  if (!missed.empty() && st.durable && !st.durable->recent_stored.empty() && st.init.inbox &&
      !st.init.limits->ack_required)
    self->tell(st.init.inbox, cursor_atom::value, st.init.user, st.durable->recent_stored.back().second);
  if (st.init.registry)
    self->tell(st.init.registry, status_atom::value, st.init.id, true);
  log::debug(component(self), "resumed, replayed " + std::to_string(missed.size()));
  return true;
}

int64_t last_inbound_wall_ns(self_ptr self) {
  auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return wall - (now_ns(self) - self->state.last_inbound_ns);
}

actor_info on_info(self_ptr self) {
  auto& st = self->state;
  auto out = metered_info("session " + format_session_id(st.init.id), "session", "registry",
                          self->mailbox_size(), st.meter);
  out.state = st.attached ? "attached" : "detached";
  out.user = st.init.user;
  for (auto& c : channel_list(self))
    out.channels.push_back(c.get<std::string>());
  out.last_seen = std::chrono::system_clock::now() - std::chrono::nanoseconds(now_ns(self) - st.last_inbound_ns);
  if (st.attached && st.sink)
    out.outbound = st.sink->queued_frames() + st.unsent.size();
  return out;
}

void on_expire(self_ptr self, uint64_t generation) {
  ++self->state.meter.processed;
  if (!self->state.attached && generation == self->state.generation) {
    log::debug(component(self), "resume window over");
    self->quit();
  }
}

void session_core::on_start() {
  auto self = this;
  auto& st = state;
  st.buffer = resume_buffer(st.init.limits->resume_buffer);
  st.rate = rate_window(
      st.init.limits->max_frames_per_sec,
      std::chrono::duration_cast<std::chrono::nanoseconds>(st.init.limits->rate_limit_close_after).count());
  st.last_inbound_ns = now_ns(self);
  if (first_sink_) {
    auto sink = std::move(first_sink_);
    attach_sink(self, sink);
    send_welcome(self, false);
    if (st.init.inbox)
      start_inbox_load(self);
  }
}

constexpr uint64_t atom_key(caf::atom_value a) { return static_cast<uint64_t>(a); }

// Every message starts with its atom (session_protocol.hpp); the rest of its
// types are checked before the handler sees them.
void session_core::handle(caf::mailbox_element& x) {
  auto& c = x.content();
  if (c.empty() || !c.match_element<caf::atom_value>(0))
    return unexpected(x);
  auto self = this;
  switch (atom_key(c.get_as<caf::atom_value>(0))) {
    case atom_key(event_atom::value):
      if (c.match_elements<event_atom, event_list, drain_share>()) {
        ++state.meter.processed;
        return deliver(self, *c.get_as<event_list>(1));
      }
      break;
    case atom_key(inbound_atom::value):
      if (c.match_elements<inbound_atom, std::string>())
        return on_inbound(self, c.get_as<std::string>(1));
      break;
    case atom_key(touch_atom::value):
      if (c.match_elements<touch_atom, uint32_t>())
        return on_control_frames(self, c.get_as<uint32_t>(1));
      break;
    case atom_key(detach_atom::value):
      if (c.match_elements<detach_atom, uint64_t, uint16_t, bool>())
        return on_detach(self, c.get_as<uint64_t>(1), c.get_as<uint16_t>(2), c.get_as<bool>(3));
      break;
    case atom_key(heartbeat_atom::value):
      if (c.match_elements<heartbeat_atom>())
        return on_heartbeat(self);
      break;
    case atom_key(attach_atom::value):
      if (c.match_elements<attach_atom, sink_ptr, uint64_t>())
        return reply(x, on_attach(self, c.get_as<sink_ptr>(1), c.get_as<uint64_t>(2)));
      break;
    case atom_key(shutdown_atom::value):
      if (c.match_elements<shutdown_atom>()) {
        ++state.meter.processed;
        return close_and_quit(self, close_code::going_away, "server shutting down", false);
      }
      break;
    case atom_key(kick_atom::value):
      if (c.match_elements<kick_atom, uint16_t>()) {
        ++state.meter.processed;
        return close_and_quit(self, c.get_as<uint16_t>(1), kick_reason(c.get_as<uint16_t>(1)), false);
      }
      break;
    case atom_key(replay_atom::value):
      if (c.match_elements<replay_atom, std::vector<event_frame>>()) {
        ++state.meter.processed;
        if (state.loading_inbox)
          finish_inbox_load(self, std::move(c.get_mutable_as<std::vector<event_frame>>(1)));
        return;
      }
      break;
    case atom_key(info_atom::value):
      if (c.match_elements<info_atom>())
        return reply(x, on_info(self));
      break;
    case atom_key(seen_atom::value):
      if (c.match_elements<seen_atom>())
        return reply(x, last_inbound_wall_ns(self));
      break;
    case atom_key(expire_atom::value):
      if (c.match_elements<expire_atom, uint64_t>())
        return on_expire(self, c.get_as<uint64_t>(1));
      break;
    default:
      break;
  }
  unexpected(x);
}

void session_core::on_idle() { flush(this); }

void session_core::on_yield() {
  if (state.unsent.size() >= unsent_max_on_yield)
    flush(this);
}

// An event's path: the resume buffer's next slot, then the connection's
// shared_ptr counts and the part a send touches (frame_sink::hot_bytes).
void session_core::prefetch() const {
  state.buffer.prefetch_next();
  if (auto p = reinterpret_cast<const char*>(state.sink.get()))
    for (ptrdiff_t at = -16; at < ptrdiff_t{frame_sink::hot_bytes}; at += 64)
      __builtin_prefetch(p + at, 1);
}

void session_core::on_exception(std::exception_ptr eptr) {
  log::error(component(this), "handler failed, closing the session: " + exception_text(eptr));
  if (state.sink)
    state.sink->close(close_code::internal_error, "internal error", false);
  state.attached = false;
  state.sink.reset();
}

session_actor spawn(caf::actor_system& sys, session_init init) {
  caf::actor_config cfg;
  auto ptr = caf::make_actor<session_core, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(), &sys, cfg,
                                                                  std::move(init));
  static_cast<session_core*>(caf::actor_cast<caf::abstract_actor*>(ptr))->launch();
  return caf::actor_cast<session_actor>(std::move(ptr));
}

} // namespace

// Sessions a scheduler job runs one after another.
constexpr size_t sessions_per_job = 128;

session_fanout::~session_fanout() {
  if (!empty()) {
    auto first = added_ > pushed_ ? waiting_[pushed_ % lookahead].core : woken_.front();
    launch(nullptr, first->home_system());
  }
}

void session_fanout::add(const session_actor& session, const caf::message& msg) {
  // Every session_actor is a session_core (spawn_session makes nothing else).
  auto core = static_cast<compact_actor*>(caf::actor_cast<caf::abstract_actor*>(session));
  core->prefetch_mailbox();
  if (added_ - pushed_ == lookahead)
    push_next();
  waiting_[added_ % lookahead] = {core, msg};
  ++added_;
}

void session_fanout::push_next() {
  auto& w = waiting_[pushed_ % lookahead];
  ++pushed_;
  if (w.core->enqueue_unscheduled(make_fanout_element(std::move(w.msg))))
    woken_.push_back(w.core);
  w = {};
}

bool session_fanout::trim_spare_elements(size_t keep, size_t at_most) {
  return trim_fanout_elements(keep, at_most);
}

void session_fanout::launch(caf::execution_unit* host, caf::actor_system& sys) {
  while (pushed_ < added_)
    push_next();
  // A session's own part an event touches: the actor's fields, then session_event_state.
  batch_job::launch(woken_, sessions_per_job, host, sys, sizeof(compact_actor) + sizeof(session_event_state));
}

std::shared_ptr<session_port> make_session_port(const session_actor& actor) {
  return std::make_shared<actor_session_port>(actor);
}

session_actor spawn_session(caf::actor_system& sys, session_init init) { return spawn(sys, std::move(init)); }

session_actor spawn_session(caf::local_actor* parent, session_init init) {
  return spawn(parent->system(), std::move(init));
}

} // namespace herald
