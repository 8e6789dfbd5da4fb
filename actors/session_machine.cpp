#include "actors/session_machine.hpp"

#include "actors/channel_policy.hpp"
#include "actors/client_frame.hpp"
#include "actors/sorted_names.hpp"
#include "config/log.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"
#include "runtime/latency_histogram.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>

namespace herald {

namespace {

// Room a session's held frames start with: 8 frames stay under 1 KiB, an
// allocation size the allocator serves from its per-thread cache.
constexpr size_t unsent_first_room = 8;

std::string kick_reason(uint16_t code) {
  return code == close_code::too_many_sessions
             ? "too many sessions for this user (session.max_per_user)"
             : "closed by the server";
}

int64_t to_ns(std::chrono::nanoseconds d) {
  return d.count();
}

} // namespace

session_machine::session_machine(session_identity identity, std::vector<std::string> channels,
                                 bool durable_inbox,
                                 std::map<std::string, persistence::history_position> since,
                                 std::string last_event_id)
    : id_(std::move(identity)) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
  static_assert(offsetof(session_machine, hot_) == sizeof(void*),
                "the hot part comes first, after the vtable pointer (runtime/README.md)");
#pragma GCC diagnostic pop
  hot_.durable_inbox = durable_inbox;
  hot_.buffer = resume_buffer(id_.limits->resume_buffer);
  rate_ = rate_window(id_.limits->max_frames_per_sec, to_ns(id_.limits->rate_limit_close_after));
  for (auto& c : channels) {
    add_name(channels_, c);
    // The registry asks for a history channel's recovery as it joins it.
    if (id_.limits->channels->find(c).has_history())
      recovery().tracks.emplace_back(c);
    else if (since.count(c))
      recovery().unrecoverable.push_back(c);
  }
  if (!last_event_id.empty())
    recovery().last_event_id = std::move(last_event_id);
}

session_machine::recovery_part& session_machine::recovery() {
  if (!recovery_)
    recovery_ = std::make_unique<recovery_part>();
  return *recovery_;
}

void session_machine::start(const sink_ptr& first_sink) {
  last_inbound_ns_ = now_ns();
  if (!first_sink)
    return;
  attach_sink(first_sink);
  send_welcome(false);
  arm_token_timer();
  if (hot_.durable_inbox)
    start_inbox_load();
  if (recovery_)
    for (auto& c : std::exchange(recovery_->unrecoverable, {}))
      send_subscribed(c, {true, {}}, false, nullptr);
}

std::string session_machine::component() const {
  return "session " + format_session_id(id_.id);
}

session_machine::hot_part::durable_state& session_machine::durable_part() {
  if (!hot_.durable)
    hot_.durable = std::make_unique<hot_part::durable_state>();
  return *hot_.durable;
}

// --- writing -----------------------------------------------------------------

void session_machine::flush() {
  if (hot_.unsent.empty())
    return;
  auto frames = std::move(hot_.unsent);
  hot_.unsent = {};
  if (!hot_.attached || !hot_.sink)
    return;
  auto now = steady_now_ns();
  latency_histogram::batch observed{publish_to_write()};
  for (auto& f : frames)
    observed.add(now - f.made_ns);
  hot_.sink->send(std::move(frames));
}

void session_machine::hold_event(uint64_t seq, shared_bytes tail, int64_t made_ns, bool lone) {
  auto f = event_out_frame(seq, std::move(tail));
  f.made_ns = made_ns;
  // A lone event with nothing held and nothing else waiting (a fan-out's
  // usual case) goes out at once, without a batch to build.
  if (lone && hot_.unsent.empty() && !more_waiting()) {
    if (auto& s = hot_.sink) {
      publish_to_write().observe_ns(steady_now_ns() - made_ns);
      s->send(std::move(f));
    }
    return;
  }
  // Frames are large (their header room is inline) and a burst holds many:
  // start with room for several rather than reallocating at 1, 2 and 4.
  if (hot_.unsent.empty())
    hot_.unsent.reserve(unsent_first_room);
  hot_.unsent.push_back(std::move(f));
}

void session_machine::on_yield() {
  if (hot_.unsent.size() >= unsent_max_on_yield)
    flush();
}

void session_machine::send_text(std::string text) {
  if (!hot_.attached)
    return;
  flush();
  if (auto& s = hot_.sink)
    s->send(out_frame::owned(std::move(text)));
}

void session_machine::send_error(client_error code, const std::string& message) {
  send_text(
      json_text({{"type", server_type::error}, {"code", code_text(code)}, {"message", message}}));
}

std::vector<std::string> session_machine::channel_list() const {
  std::vector<std::string> out{user_channel(id_.user)};
  out.insert(out.end(), channels_.begin(), channels_.end());
  return out;
}

void session_machine::send_welcome(bool resumed) {
  send_text(json_text({{"type", server_type::welcome},
                       {"session_id", format_session_id(id_.id)},
                       {"resume_token", id_.resume_token},
                       {"user", id_.user},
                       {"channels", channel_list()},
                       {"heartbeat_ms", id_.limits->heartbeat_interval.count()},
                       {"resumed", resumed}}));
}

// The same bytes nlohmann writes for {"type":"pong","timestamp":…} (its
// objects keep keys sorted), without building a JSON tree.
void session_machine::send_pong() {
  send_text("{\"timestamp\":\"" + rfc3339_now() + "\",\"type\":\"pong\"}");
}

// --- lifecycle -----------------------------------------------------------------

void session_machine::attach_sink(const sink_ptr& sink) {
  hot_.unsent = {}; // meant for an earlier socket; a resume replays them from the buffer
  hot_.sink = sink;
  hot_.attached = true;
  ++generation_;
  sink->bind(port());
}

// Ends the session for good (no resume).
void session_machine::close_and_quit(uint16_t code, const std::string& reason, bool abort) {
  flush();
  if (hot_.attached && hot_.sink)
    hot_.sink->close(code, reason, abort);
  hot_.attached = false;
  hot_.sink.reset();
  quit();
}

void session_machine::on_shutdown(double spread_at) {
  auto spread = id_.limits->reconnect_spread.count();
  auto delay = static_cast<int64_t>(spread_at * static_cast<double>(spread));
  close_and_quit(close_code::going_away, reconnect_reason(delay), false);
}

void session_machine::on_kick(uint16_t code) {
  close_and_quit(code, kick_reason(code), false);
}

void session_machine::on_detach(uint64_t sink_id, uint16_t code, bool resumable) {
  if (!hot_.attached || !hot_.sink || sink_id != hot_.sink->id())
    return; // an older socket of a resumed session
  hot_.attached = false;
  hot_.sink.reset();
  hot_.unsent = {}; // kept in the resume buffer
  if (!resumable || id_.limits->resume_window.count() == 0) {
    log::debug(component(), "closed (" + std::to_string(code) + ")");
    return quit();
  }
  ++generation_;
  attached_changed(false);
  expire_after(std::chrono::duration_cast<std::chrono::milliseconds>(id_.limits->resume_window),
               generation_);
}

void session_machine::on_expire(uint64_t generation) {
  if (hot_.attached || generation != generation_)
    return;
  log::debug(component(), "resume window over");
  quit();
}

// Every heartbeat.interval: a session silent for stale_after is evicted, any
// other gets a protocol ping. Only the session keeps this clock, so no
// inbound frame wakes the registry.
void session_machine::on_heartbeat() {
  if (!hot_.attached)
    return;
  if (now_ns() - last_inbound_ns_ >= to_ns(id_.limits->stale_after)) {
    log::info(component(), "evicted: no inbound frame for heartbeat.stale_after");
    evicted();
    return close_and_quit(close_code::stale, "stale: no inbound frame", true);
  }
  flush();
  if (hot_.sink)
    hot_.sink->ping();
}

bool session_machine::on_attach(const sink_ptr& sink, uint64_t last_seq, int64_t token_exp_s) {
  if (!sink || !hot_.buffer.covers(last_seq, hot_.seq))
    return false;
  if (token_exp_s != id_.token_exp_s) {
    id_.token_exp_s = token_exp_s;
    token_warned_ = false;
  }
  if (hot_.attached && hot_.sink)
    hot_.sink->close(close_code::replaced, "session resumed on another connection", false);
  attach_sink(sink);
  last_inbound_ns_ = now_ns();
  auto missed = hot_.buffer.after(last_seq);
  send_welcome(true);
  send_text(json_text({{"type", server_type::session_restored},
                       {"session_id", format_session_id(id_.id)},
                       {"replayed", missed.size()}}));
  std::vector<out_frame> frames;
  frames.reserve(missed.size());
  for (auto& [seq, tail] : missed)
    frames.push_back(event_out_frame(seq, tail));
  if (!frames.empty())
    sink->send(std::move(frames));
  // Stored events buffered while detached have now reached a socket.
  auto& durable = hot_.durable;
  if (!missed.empty() && durable && !durable->recent_stored.empty() && !id_.limits->ack_required)
    move_cursor(durable->recent_stored.back().second);
  attached_changed(true);
  arm_token_timer();
  log::debug(component(), "resumed, replayed " + std::to_string(missed.size()));
  return true;
}

void session_machine::on_failure() {
  if (hot_.sink)
    hot_.sink->close(close_code::internal_error, "internal error", false);
  hot_.attached = false;
  hot_.sink.reset();
}

// --- events ----------------------------------------------------------------------

// Sends events as one batch (the connection writes them together), giving each
// the next seq and keeping it for resume. Stored events that reach the socket
// move the user's inbox cursor.
void session_machine::on_events(const std::vector<event_frame>& events) {
  if (hot_.loading_inbox) {
    auto& held = durable_part().held;
    held.insert(held.end(), events.begin(), events.end());
    return;
  }
  write_events(events);
}

void session_machine::write_events(const std::vector<event_frame>& events) {
  persistence::inbox_pos reached;
  std::vector<std::string> written; // stored events that reach the socket (receipts)
  bool lone = events.size() == 1;
  for (auto& ev : events) {
    if (ev.data->control) {
      send_text(ev.data->tail); // join/leave: no seq, not kept for resume
      continue;
    }
    if (ev.offset() > 0 && !admit_history_event(ev))
      continue;
    if (ev.stored()) {
      auto& d = durable_part();
      if (d.replayed_ids.erase(ev.id()))
        continue; // the inbox replay already sent it
      d.recent_stored.emplace_back(ev.id(), ev.pos());
      if (d.recent_stored.size() > id_.limits->resume_buffer)
        d.recent_stored.erase(d.recent_stored.begin());
      if (hot_.attached && !id_.limits->ack_required)
        reached = std::max(reached, ev.pos());
      if (hot_.attached && id_.limits->receipts)
        written.push_back(ev.id());
    }
    auto tail = ev.tail();
    hot_.buffer.push(++hot_.seq, tail);
    if (hot_.attached)
      hold_event(hot_.seq, std::move(tail), ev.made_ns(), lone);
  }
  // The held frames leave when the mailbox runs dry (on_idle) or before
  // anything else is written.
  if (!reached.empty())
    move_cursor(reached);
  if (!written.empty())
    delivered(std::move(written));
}

void session_machine::start_inbox_load() {
  hot_.loading_inbox = true;
  load_inbox(recovery_ ? std::exchange(recovery_->last_event_id, {}) : std::string());
}

// The inbox replay arrived (or failed: empty): replay it, then what waited.
void session_machine::on_replay(std::vector<event_frame> replay) {
  if (!hot_.loading_inbox)
    return;
  hot_.loading_inbox = false;
  std::vector<event_frame> held;
  if (hot_.durable)
    held.swap(hot_.durable->held);
  std::vector<std::string> ids;
  for (auto& ev : replay)
    ids.push_back(ev.id());
  on_events(replay);
  // An event both replayed and published live (held now, or still on its
  // way) is sent once, by the replay.
  if (!ids.empty()) {
    auto& d = durable_part();
    for (auto& id : ids)
      d.replayed_ids.insert(std::move(id));
  }
  if (!held.empty())
    on_events(held);
}

// --- channel history ----------------------------------------------------------------

session_machine::channel_track* session_machine::track_of(const std::string& channel) {
  if (recovery_)
    for (auto& t : recovery_->tracks)
      if (t.channel == channel)
        return &t;
  return nullptr;
}

// False when the event must not be written now: its channel's recovery is
// still on its way (it waits), or it was already written (a duplicate).
bool session_machine::admit_history_event(const event_frame& ev) {
  auto t = track_of(ev.data->channel);
  if (!t)
    return true;
  if (t->waiting) {
    // Bounded like the resume buffer; what does not fit makes the recovery
    // recovered:false, so the client refetches.
    if (t->held.size() < id_.limits->resume_buffer)
      t->held.push_back(ev);
    else
      t->dropped = true;
    return false;
  }
  auto& at = ev.data->history;
  if (at.epoch == t->sent.epoch && at.offset <= t->sent.offset)
    return false;
  t->sent = at;
  return true;
}

void session_machine::send_subscribed(const std::string& channel, const history_since& since,
                                      bool recovered, const persistence::history_position* now) {
  nlohmann::json j{{"type", server_type::subscribed}, {"channel", channel}};
  if (since.given)
    j["recovered"] = recovered;
  if (now) {
    j["offset"] = now->offset;
    j["epoch"] = now->epoch;
  }
  send_text(json_text(j));
}

// A history channel's recovery: `subscribed` (with recovered when the client
// gave since), the replay, then the live events that waited, none twice.
void session_machine::on_history(channel_recovery r) {
  auto t = track_of(r.channel);
  if (!t || !t->waiting)
    return; // left meanwhile, or an answer to an earlier join
  t->waiting = false;
  bool same_epoch = r.since.given && r.since.at.epoch == r.now.epoch;
  t->sent = same_epoch ? r.since.at : r.now;
  auto held = std::exchange(t->held, {});
  send_subscribed(r.channel, r.since, r.recovered && !t->dropped, r.failed ? nullptr : &r.now);
  write_events(r.events);
  write_events(held);
}

// --- client frames -----------------------------------------------------------------

// Counts inbound frames (text or control) against session.max_frames_per_sec;
// false when they are dropped (and the session perhaps closed).
bool session_machine::admit_frames(uint32_t frames) {
  last_inbound_ns_ = now_ns(); // the client is alive
  switch (rate_.on_frame(last_inbound_ns_, frames)) {
    case rate_verdict::accept:
      return true;
    case rate_verdict::reject_first:
      send_error(client_error::rate_limited, "over session.max_frames_per_sec; frames are dropped");
      return false;
    case rate_verdict::reject:
      return false;
    case rate_verdict::disconnect:
      log::info(component(), "closing: over the frame rate limit for too long");
      close_and_quit(close_code::policy_violation, "rate limit exceeded", false);
      return false;
  }
  return false;
}

void session_machine::on_text(const std::string& text) {
  if (!admit_frames(1))
    return;
  auto frame = decode_client_frame(text);
  switch (frame.type) {
    case client_frame::kind::ping:
      return send_pong();
    case client_frame::kind::subscribe:
      return on_subscribe(frame.arg, frame.since);
    case client_frame::kind::unsubscribe:
      return on_unsubscribe(frame.arg);
    case client_frame::kind::ack:
      return on_ack(frame.arg);
    case client_frame::kind::refresh:
      return on_refresh(frame.arg);
    case client_frame::kind::invalid:
      return send_error(frame.error, frame.error_message);
  }
}

void session_machine::on_subscribe(const std::string& channel, const history_since& since) {
  switch (check_channel(id_.allowed, channel)) {
    case channel_check::bad_name:
      return send_error(client_error::bad_frame, "a channel name is 1 to 200 bytes");
    case channel_check::reserved:
    case channel_check::forbidden:
      return send_error(client_error::forbidden_channel, "not allowed to join " + channel);
    case channel_check::ok:
      break;
  }
  if (!has_name(channels_, channel) && channels_.size() >= id_.limits->max_channels)
    return send_error(client_error::too_many_channels,
                      "session.max_channels (" + std::to_string(id_.limits->max_channels) +
                          ") reached");
  join_channel(channel, since);
}

void session_machine::join_channel(const std::string& channel, const history_since& since) {
  if (has_name(channels_, channel)) {
    auto t = track_of(channel);
    return send_subscribed(channel, since, false, t && !t->waiting ? &t->sent : nullptr);
  }
  add_name(channels_, channel);
  joined(channel, since);
  // A history channel answers once its recovery is here (on_history).
  if (id_.limits->channels->find(channel).has_history())
    recovery().tracks.emplace_back(channel);
  else
    send_subscribed(channel, since, false, nullptr);
}

void session_machine::on_unsubscribe(const std::string& channel) {
  if (channel == user_channel(id_.user))
    return send_error(client_error::forbidden_channel, "a session cannot leave its user channel");
  leave_channel(channel);
}

void session_machine::leave_channel(const std::string& channel) {
  remove_name(server_channels_, channel);
  if (remove_name(channels_, channel))
    left(channel);
  if (recovery_) {
    auto& tracks = recovery_->tracks;
    tracks.erase(std::remove_if(tracks.begin(), tracks.end(),
                                [&](const channel_track& t) { return t.channel == channel; }),
                 tracks.end());
  }
  send_text(json_text({{"type", server_type::unsubscribed}, {"channel", channel}}));
}

// An ack of a stored event this session sent recently moves the cursor; any
// other id (a channel event, an old one) moves nothing.
void session_machine::on_ack(const std::string& id) {
  if (!hot_.durable)
    return;
  auto& recent = hot_.durable->recent_stored;
  for (auto it = recent.rbegin(); it != recent.rend(); ++it)
    if (it->first == id)
      return acked(it->second);
}

// --- views ---------------------------------------------------------------------------

int64_t session_machine::last_inbound_wall_ns() const {
  auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return wall - (now_ns() - last_inbound_ns_);
}

actor_info session_machine::info(size_t mailbox_size) {
  auto out = metered_info(component(), "session", "registry", mailbox_size, hot_.meter);
  out.state = hot_.attached ? "attached" : "detached";
  out.user = id_.user;
  out.channels = channel_list();
  out.last_seen =
      std::chrono::system_clock::time_point(std::chrono::nanoseconds(last_inbound_wall_ns()));
  if (hot_.attached && hot_.sink)
    out.outbound = hot_.sink->queued_frames() + hot_.unsent.size();
  return out;
}

// An event's path: the resume buffer's next slot, then the connection's
// shared_ptr counts and the part a send touches (frame_sink::hot_bytes).
void session_machine::prefetch() const {
  hot_.buffer.prefetch_next();
  if (auto p = reinterpret_cast<const char*>(hot_.sink.get()))
    for (ptrdiff_t at = -16; at < ptrdiff_t{frame_sink::hot_bytes}; at += 64)
      __builtin_prefetch(p + at, 1);
}

} // namespace herald
