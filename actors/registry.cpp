#include "actors/registry.hpp"

#include "actors/channel_policy.hpp"
#include "actors/guarded.hpp"
#include "actors/inbox_protocol.hpp"
#include "actors/session.hpp"
#include "actors/session_roster.hpp"
#include "config/log.hpp"
#include "persistence/cluster_link.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace herald {

namespace {

using ids = std::unordered_set<session_id>;

constexpr int64_t cork_window_ns = 300'000;
// Within a stream, the sessions a drain reached run at most this long after
// it (sooner at the in-flight bound): the drains of that moment leave in one
// socket write each.
// A publish within this long of the previous drain counts as part of a stream.
constexpr int64_t stream_gap_ns = 20'000'000;

// One of the few channels a session is in (user channel excluded), and
// where the session sits in that channel's roster.
struct channel_seat {
  std::string name;
  uint32_t at = 0;
};

// A session's handle and attached flag live in registry_state::roster.
struct session_entry {
  std::string user;
  std::string resume_token;
  uint64_t born = 0;  // registry_state::sessions_made when it was made: smaller is older
  std::vector<channel_seat> channels;
  uint32_t roster_at = 0;  // where it sits in registry_state::roster
};

struct pending_publish {
  publish_request req;
  caf::typed_response_promise<publish_outcome> promise;
};

struct user_entry {
  ids sessions;
  uint64_t attached = 0;
  int64_t last_seen_ns = 0;
  std::chrono::system_clock::time_point last_seen_wall;
};

struct registry_state {
  static inline const char* name = "registry";
  registry_limits limits;
  std::shared_ptr<const session_limits> session_limits_shared;  // handed to every session
  actor_meter meter;
  inbox_actor inbox;  // invalid: no durable inbox
  std::shared_ptr<persistence::cluster_link> cluster;  // null: a single node
  std::unordered_map<session_id, session_entry> sessions;
  uint64_t sessions_made = 0;
  session_roster roster;  // the same sessions, packed for broadcasts, heartbeats and shutdown
  std::unordered_map<std::string, user_entry> users;  // offline users stay for presence.retain
  std::unordered_map<std::string, session_roster> channels;
  uint64_t users_online = 0;
  uint64_t attached = 0;
  uint64_t evicted_stale = 0;
  bool shutting_down = false;
  // Corking: publishes wait here until the drain message behind them runs,
  // so a burst reaches each session as one message and one socket write.
  std::vector<pending_publish> pending;
  uint64_t backlog_refused = 0;
  bool drain_scheduled = false;
  int64_t last_drain_ns = INT64_MIN / 2;
  uint32_t drains_in_flight = 0;  // drains some session has not yet taken
  // Whether publishes arrived while drains were in flight, since the last
  // moment none was; `streaming` keeps the answer of the last such spell.
  // A publisher that waits for each answer before the next publish never
  // adds to it, so its publishes are not corked.
  bool published_while_busy = false;
  bool streaming = false;
  bool trim_scheduled = false;    // a trim_atom is on its way
};

using self_ptr = registry_actor::stateful_pointer<registry_state>;

int64_t now_ns(self_ptr self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             self->clock().now().time_since_epoch())
      .count();
}

int64_t ns(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

channel_seat* seat_in(session_entry& e, const std::string& channel) {
  for (auto& seat : e.channels)
    if (seat.name == channel)
      return &seat;
  return nullptr;
}

void join_channel(self_ptr self, session_id id, session_entry& e, const std::string& channel) {
  if (seat_in(e, channel))
    return;
  auto& m = self->state.roster.at(e.roster_at);
  auto at = self->state.channels[channel].add(id, m.handle, m.attached);
  e.channels.push_back({channel, at});
}

void leave_channel(self_ptr self, session_id id, session_entry& e, const std::string& channel) {
  auto& st = self->state;
  auto seat = seat_in(e, channel);
  if (!seat)
    return;
  auto ch = st.channels.find(channel);
  if (auto moved = ch->second.remove(seat->at))
    seat_in(st.sessions.at(*moved), channel)->at = seat->at;
  if (ch->second.size() == 0)
    st.channels.erase(ch);
  e.channels.erase(e.channels.begin() + (seat - e.channels.data()));
}

void seen(self_ptr self, user_entry& u) {
  u.last_seen_ns = now_ns(self);
  u.last_seen_wall = std::chrono::system_clock::now();
}

void set_attached(self_ptr self, session_entry& e, bool attached) {
  auto& st = self->state;
  if (st.roster.at(e.roster_at).attached == attached)
    return;
  st.roster.set_attached(e.roster_at, attached);
  for (auto& seat : e.channels)
    st.channels.at(seat.name).set_attached(seat.at, attached);
  auto& u = st.users[e.user];
  if (attached) {
    ++st.attached;
    if (u.attached++ == 0)
      ++st.users_online;
  } else {
    --st.attached;
    if (--u.attached == 0)
      --st.users_online;
  }
  if (st.cluster)
    st.cluster->set_presence(e.user, u.attached,
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
}

// Forgets offline users last seen before presence.retain, and the oldest
// offline ones while more than presence.max_users are remembered.
void prune_presence(self_ptr self) {
  auto& st = self->state;
  auto cutoff = now_ns(self) - ns(st.limits.presence_retain);
  for (auto it = st.users.begin(); it != st.users.end();) {
    if (it->second.sessions.empty() && it->second.last_seen_ns < cutoff)
      it = st.users.erase(it);
    else
      ++it;
  }
  while (st.users.size() > st.limits.presence_max_users) {
    auto oldest = st.users.end();
    for (auto it = st.users.begin(); it != st.users.end(); ++it)
      if (it->second.sessions.empty() &&
          (oldest == st.users.end() || it->second.last_seen_ns < oldest->second.last_seen_ns))
        oldest = it;
    if (oldest == st.users.end())
      break;
    st.users.erase(oldest);
  }
}

void remove_session(self_ptr self, session_id id);

// A named user at session.max_per_user: the oldest session (live or
// resumable) is closed 4008 and forgotten now, so the count stays exact.
void make_room_for(self_ptr self, const std::string& user) {
  auto& st = self->state;
  auto u = st.users.find(user);
  if (u == st.users.end() || u->second.sessions.size() < st.limits.max_per_user)
    return;
  session_id oldest = 0;
  uint64_t oldest_born = UINT64_MAX;
  for (auto id : u->second.sessions)
    if (auto it = st.sessions.find(id); it != st.sessions.end() && it->second.born < oldest_born) {
      oldest = id;
      oldest_born = it->second.born;
    }
  if (oldest == 0)
    return;
  auto handle = st.roster.at(st.sessions[oldest].roster_at).handle;
  self->send(handle, kick_atom::value, close_code::too_many_sessions);
  remove_session(self, oldest);
}

void spawn_fresh(self_ptr self, connect_request& req) {
  auto& st = self->state;
  if (!req.user.empty())
    make_room_for(self, req.user);
  session_init init;
  do
    init.id = random_u64();
  while (st.sessions.count(init.id) || init.id == 0);
  init.user = req.user.empty() ? "anon:" + format_session_id(init.id) : req.user;
  init.resume_token = random_hex(2);
  init.allowed = std::move(req.allowed);
  init.channels = std::move(req.channels);
  init.sink = std::move(req.sink);
  init.limits = st.session_limits_shared;
  init.registry = self;
  if (!req.user.empty())
    init.inbox = st.inbox;
  session_entry entry;
  entry.user = init.user;
  entry.resume_token = init.resume_token;
  entry.born = ++st.sessions_made;
  auto channels = init.channels;
  auto id = init.id;
  auto user = init.user;
  // The entry exists before the session starts, so an event published the
  // moment the client sees its welcome frame already finds it.
  auto& u = st.users[user];
  u.sessions.insert(id);
  seen(self, u);
  auto& e = st.sessions.emplace(id, std::move(entry)).first->second;
  auto handle = spawn_session(self, std::move(init));
  e.roster_at = st.roster.add(id, handle, false);
  for (auto& c : channels)
    join_channel(self, id, e, c);
  set_attached(self, e, true);
  // Supervision: however the session ends (quit, failure), the registry
  // hears of it with the session's id and reason.
  caf::actor_cast<caf::abstract_actor*>(handle)->attach_functor(
      [registry = self->address(), id](const caf::error& reason) {
        if (auto r = caf::actor_cast<registry_actor>(registry))
          caf::anon_send(r, gone_atom::value, id, reason);
      });
  if (st.users.size() > st.limits.presence_max_users)
    prune_presence(self);
}

void remove_session(self_ptr self, session_id id) {
  auto& st = self->state;
  auto it = st.sessions.find(id);
  if (it == st.sessions.end())
    return;
  auto& e = it->second;
  set_attached(self, e, false);
  while (!e.channels.empty())
    leave_channel(self, id, e, e.channels.back().name);
  auto& u = st.users[e.user];
  u.sessions.erase(id);
  // An anonymous user is one session: nobody asks for its presence later,
  // so it is not kept for presence.retain (anonymous churn cannot fill the map).
  if (u.sessions.empty() && e.user.rfind("anon:", 0) == 0)
    st.users.erase(e.user);
  if (auto moved = st.roster.remove(e.roster_at))
    st.sessions.at(*moved).roster_at = e.roster_at;
  st.sessions.erase(it);
}

// A live session's handle and attached flag; null for an unknown id.
const session_roster::member* member_of(self_ptr self, session_id id) {
  auto& st = self->state;
  auto it = st.sessions.find(id);
  return it == st.sessions.end() ? nullptr : &st.roster.at(it->second.roster_at);
}

// Calls f(handle, attached) for every session a publish targets.
template <class F>
void for_targets(self_ptr self, const publish_request& req, F f) {
  auto& st = self->state;
  auto visit = [&](session_id id) {
    if (auto m = member_of(self, id))
      f(m->handle, m->attached);
  };
  switch (req.target) {
    case publish_target::user:
      if (auto u = st.users.find(req.name); u != st.users.end())
        for (auto& id : u->second.sessions)
          visit(id);
      break;
    case publish_target::channel:
      if (auto ch = st.channels.find(req.name); ch != st.channels.end())
        for (auto& m : ch->second.members())
          f(m.handle, m.attached);
      break;
    case publish_target::broadcast:
      for (auto& m : st.roster.members())
        f(m.handle, m.attached);
      break;
  }
}

// Once no drain has run for this long, the registry frees the fan-out
// elements beyond one per session, at most trim_slice per message.
constexpr int64_t trim_after_ns = 1'000'000'000;
constexpr size_t trim_slice = 2048;

void schedule_trim(self_ptr self, int64_t in_ns = trim_after_ns) {
  if (self->state.trim_scheduled)
    return;
  self->state.trim_scheduled = true;
  self->delayed_send(self, std::chrono::nanoseconds(in_ns), trim_atom::value);
}

// Lives while any session still holds its share of one drain; its end
// tells the registry that the drain has been taken.
class drain_receipt {
public:
  explicit drain_receipt(registry_actor registry) : registry_(std::move(registry)) {}
  ~drain_receipt() { caf::anon_send(registry_, drained_atom::value); }
  drain_receipt(const drain_receipt&) = delete;
  drain_receipt& operator=(const drain_receipt&) = delete;

private:
  registry_actor registry_;
};

bool same_target(const publish_request& a, const publish_request& b) {
  return a.target == b.target && (a.target == publish_target::broadcast || a.name == b.name);
}

void schedule_drain(self_ptr self, bool at_once) {
  auto& st = self->state;
  if (st.drain_scheduled || st.drains_in_flight >= st.limits.batches_in_flight)
    return;  // the drain in the mailbox, or the next `drained`, takes the pending ones
  st.drain_scheduled = true;
  if (at_once)
    self->send(self, drain_atom::value);
  else
    self->delayed_send(self, std::chrono::nanoseconds(cork_window_ns), drain_atom::value);
}

// Delivers every corked publish, in publish order: consecutive publishes to
// the same target travel as one list shared by every session they reach;
// each publisher learns how many live sessions its event reached.
void drain(self_ptr self) {
  auto& st = self->state;
  st.drain_scheduled = false;
  if (st.pending.empty() || st.drains_in_flight >= st.limits.batches_in_flight)
    return;
  st.last_drain_ns = now_ns(self);
  auto batch = std::move(st.pending);
  st.pending.clear();
  ++st.drains_in_flight;
  drain_share share = std::make_shared<const drain_receipt>(caf::actor_cast<registry_actor>(self));
  // The idle sessions run once every mailbox has the drain (see session_fanout).
  session_fanout fanout;
  std::vector<publish_outcome> reached(batch.size());
  for (size_t i = 0; i < batch.size();) {
    auto end = i + 1;
    while (end < batch.size() && same_target(batch[i].req, batch[end].req))
      ++end;
    auto events = std::make_shared<std::vector<event_frame>>();
    events->reserve(end - i);
    for (auto k = i; k < end; ++k)
      events->push_back(batch[k].req.event);
    // One message for every session it reaches (no per-session copy of the
    // list or the drain share).
    auto msg = caf::make_message(event_atom::value, event_list{std::move(events)}, share);
    uint64_t live = 0;
    for_targets(self, batch[i].req, [&](const session_actor& handle, bool attached) {
      fanout.add(handle, msg);
      live += attached;
    });
    for (auto k = i; k < end; ++k)
      reached[k].delivered = live;
    i = end;
  }
  share.reset();  // from now on only the sessions' shares keep the drain open
  fanout.launch(self->context(), self->system());
  for (size_t i = 0; i < batch.size(); ++i) {
    reached[i].stored = batch[i].req.event.stored();
    reached[i].event = batch[i].req.event;
    if (batch[i].req.reply)
      (*batch[i].req.reply)(reached[i]);
    batch[i].promise.deliver(reached[i]);
  }
}

template <class F>
void for_session(self_ptr self, session_id id, F f) {
  auto it = self->state.sessions.find(id);
  if (it != self->state.sessions.end())
    f(it->second);
}

void enqueue(self_ptr self, publish_request req, caf::typed_response_promise<publish_outcome> promise) {
  auto& st = self->state;
  if (st.pending.size() >= st.limits.publish_backlog_max) {
    // Sessions are not taking events as fast as they come (a flood from the
    // bus, say): refuse rather than hold an unbounded backlog.
    if (st.backlog_refused++ % 1000 == 0)
      log::warn("registry", "publish backlog at delivery.publish_backlog_max: publishes refused (" +
                                std::to_string(st.backlog_refused) + " so far)");
    promise.deliver(caf::make_error(caf::sec::runtime_error, "delivery.publish_backlog_max reached"));
    return;
  }
  st.pending.push_back({std::move(req), std::move(promise)});
  // Idle: deliver at once. Under a stream of publishes from several
  // publishers: wait a moment so the publishes of the next fraction of a
  // millisecond travel together (one message per session, one socket write
  // per batch).
  if (st.drains_in_flight > 0)
    st.published_while_busy = true;
  bool at_once = now_ns(self) - st.last_drain_ns > stream_gap_ns || (st.drains_in_flight == 0 && !st.streaming);
  schedule_drain(self, at_once);
}

// A connected user's sessions report frames to the registry at most once a
// second; their own clocks are exact, so they are asked (each answer, or
// its failure, counts; the newest wins).
caf::typed_response_promise<presence_info> answer_presence(self_ptr self, const std::string& user) {
  auto rp = self->make_response_promise<presence_info>();
  presence_info out;
  out.user = user;
  auto it = self->state.users.find(user);
  if (it == self->state.users.end()) {
    rp.deliver(out);
    return rp;
  }
  auto& u = it->second;
  out.connected = u.attached > 0;
  out.sessions = u.attached;
  out.last_seen = u.last_seen_wall;
  std::vector<session_actor> live;
  for (auto id : u.sessions)
    if (auto m = member_of(self, id); m && m->attached)
      live.push_back(m->handle);
  if (live.empty()) {
    rp.deliver(out);
    return rp;
  }
  struct gather {
    presence_info out;
    size_t left;
    caf::typed_response_promise<presence_info> rp;
  };
  auto g = std::make_shared<gather>(gather{std::move(out), live.size(), rp});
  auto one_done = [g] {
    if (--g->left == 0)
      g->rp.deliver(g->out);
  };
  for (auto& s : live)
    self->request(s, std::chrono::seconds(1), seen_atom::value)
        .then(
            guarded(self, [g, one_done](int64_t wall_ns) {
              auto t = std::chrono::system_clock::time_point(
                  std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(wall_ns)));
              if (!g->out.last_seen || t > *g->out.last_seen)
                g->out.last_seen = t;
              one_done();
            }),
            guarded(self, [one_done](caf::error&) { one_done(); }));
  return rp;
}

bool anonymous(const std::string& user) { return user.rfind("anon:", 0) == 0; }

bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size())  // both are random_hex(2): the length is no secret
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// A named user resumes their own sessions; an anonymous client must show the
// resume_token its welcome gave (CONTRACT §7): a session id alone is not enough.
bool may_resume(const connect_request& req, const session_entry& target) {
  if (!req.user.empty())
    return target.user == req.user;
  return anonymous(target.user) && same_secret(req.resume_token, target.resume_token);
}

registry_actor::behavior_type registry_behavior(self_ptr self, registry_limits limits,
                                                inbox_actor inbox,
                                                std::shared_ptr<persistence::cluster_link> cluster) {
  self->state.limits = limits;
  self->state.session_limits_shared = std::make_shared<const session_limits>(limits.session);
  self->state.inbox = inbox;
  self->state.cluster = std::move(cluster);
  self->delayed_send(self, limits.session.heartbeat_interval, tick_atom::value);
  log::debug("registry", "started");
  return {
      guarded(self, [=](connect_atom, connect_request& req) {
        auto& st = self->state;
        if (st.shutting_down) {
          req.sink->close(close_code::going_away, "server shutting down", false);
          return;
        }
        auto resume = parse_session_id(req.resume_id);
        auto it = resume ? st.sessions.find(*resume) : st.sessions.end();
        if (it == st.sessions.end() || !may_resume(req, it->second)) {
          spawn_fresh(self, req);
          return;
        }
        auto target = st.roster.at(it->second.roster_at).handle;
        auto sink = req.sink;
        self->request(target, std::chrono::seconds(5), attach_atom::value, sink, req.last_seq)
            .then(
                guarded(self, [=](bool ok) mutable {
                  if (!ok)
                    spawn_fresh(self, req);
                }),
                guarded(self, [=](caf::error&) mutable { spawn_fresh(self, req); }));
      }),
      guarded(self, [=](publish_atom, publish_request& req) -> caf::typed_response_promise<publish_outcome> {
        auto& st = self->state;
        auto promise = self->make_response_promise<publish_outcome>();
        if (req.target == publish_target::user && st.inbox && !req.remote && !anonymous(req.name)) {
          // Into the user's inbox first, so what the publisher is told is
          // stored is stored; then live. Appends answer in order.
          self->request(st.inbox, st.limits.store_timeout, append_atom::value, req.name, req.event)
              .then(
                  guarded(self, [=](event_frame& stored) mutable {
                    req.event = std::move(stored);
                    enqueue(self, std::move(req), promise);
                  }),
                  guarded(self, [=](caf::error& err) mutable {
                    log::warn("registry", "event " + req.event.id() + " for " + req.name +
                                              " delivered without storing: " + caf::to_string(err));
                    enqueue(self, std::move(req), promise);
                  }));
          return promise;
        }
        enqueue(self, std::move(req), promise);
        return promise;
      }),
      guarded(self, [=](drain_atom) { drain(self); }),
      guarded(self, [=](gone_atom, session_id id, const caf::error& reason) {
        auto& st = self->state;
        if (reason && reason != caf::exit_reason::normal && reason != caf::exit_reason::user_shutdown) {
          log::warn("registry", "session " + format_session_id(id) + " failed: " + caf::to_string(reason));
          ++st.meter.failures;
          st.meter.last_error = "session " + format_session_id(id) + ": " + caf::to_string(reason);
        }
        remove_session(self, id);
      }),

      guarded(self, [=](drained_atom) {
        auto& st = self->state;
        if (--st.drains_in_flight == 0) {
          st.streaming = st.published_while_busy;
          st.published_while_busy = false;
        }
        if (!st.pending.empty())
          schedule_drain(self, true);  // these have waited already
        else if (st.drains_in_flight == 0)
          schedule_trim(self);
      }),
      guarded(self, [=](trim_atom) {
        auto& st = self->state;
        st.trim_scheduled = false;
        if (st.drains_in_flight > 0)
          return;  // the drain's `drained` schedules the next try
        if (auto idle = now_ns(self) - st.last_drain_ns; idle < trim_after_ns)
          return schedule_trim(self, trim_after_ns - idle);
        // One slice per message, so whatever else arrives is not held up.
        if (session_fanout::trim_spare_elements(st.roster.size(), trim_slice)) {
          st.trim_scheduled = true;
          self->send(self, trim_atom::value);
        }
      }),
      guarded(self, [=](resync_atom) {
        auto& st = self->state;
        if (!st.cluster)
          return;
        auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        for (auto& [user, u] : st.users)
          if (u.attached > 0)
            st.cluster->set_presence(user, u.attached, now);
      }),
      guarded(self, [=](info_atom) -> caf::result<actor_info> {
        auto& st = self->state;
        auto out = metered_info("registry", "registry", "", self->mailbox().size(), st.meter);
        out.state = st.shutting_down ? "stopping" : "running";
        return out;
      }),
      guarded(self, [=](members_atom, const std::string& channel) -> caf::result<uint64_t> {
        auto it = self->state.channels.find(channel);
        return it == self->state.channels.end() ? 0 : it->second.size();
      }),
      guarded(self, [=](actors_atom, const std::string& user, uint64_t limit, uint64_t offset) -> caf::result<session_page> {
        auto& st = self->state;
        std::vector<std::pair<session_id, session_actor>> match;
        if (!user.empty()) {
          if (auto u = st.users.find(user); u != st.users.end())
            for (auto id : u->second.sessions)
              if (auto m = member_of(self, id))
                match.emplace_back(id, m->handle);
        } else {
          match.reserve(st.roster.size());
          for (auto& m : st.roster.members())
            match.emplace_back(m.id, m.handle);
        }
        // Only the requested page needs ordering.
        auto end = std::min<size_t>(match.size(), size_t(offset + limit));
        std::partial_sort(match.begin(), match.begin() + long(end), match.end(),
                          [](auto& a, auto& b) { return a.first < b.first; });
        session_page page;
        page.total = match.size();
        for (size_t i = size_t(offset); i < match.size() && page.sessions.size() < limit; ++i)
          page.sessions.push_back(match[i].second);
        return page;
      }),
      guarded(self, [=](stats_atom) -> caf::result<registry_stats> {
        auto& st = self->state;
        registry_stats out;
        out.sessions = st.sessions.size();
        out.attached = st.attached;
        out.users = st.users_online;
        out.channels = st.channels.size();
        out.evicted_stale = st.evicted_stale;
        return out;
      }),
      guarded(self, [=](presence_atom, const std::string& user) -> caf::typed_response_promise<presence_info> {
        return answer_presence(self, user);
      }),
      guarded(self, [=](join_atom, session_id id, const std::string& channel) {
        for_session(self, id, [&](session_entry& e) { join_channel(self, id, e, channel); });
      }),
      guarded(self, [=](leave_atom, session_id id, const std::string& channel) {
        for_session(self, id, [&](session_entry& e) { leave_channel(self, id, e, channel); });
      }),
      guarded(self, [=](status_atom, session_id id, bool attached) {
        for_session(self, id, [&](session_entry& e) {
          set_attached(self, e, attached);
          seen(self, self->state.users[e.user]);
        });
      }),
      guarded(self, [=](evicted_atom, session_id) { ++self->state.evicted_stale; }),
      guarded(self, [=](tick_atom) {
        auto& st = self->state;
        if (st.shutting_down)
          return;
        // Each session pings its client, or evicts itself when silent.
        for (auto& m : st.roster.members())
          if (m.attached)
            self->send(m.handle, heartbeat_atom::value);
        prune_presence(self);
        self->delayed_send(self, st.limits.session.heartbeat_interval, tick_atom::value);
      }),
      guarded(self, [=](shutdown_atom) {
        auto& st = self->state;
        st.shutting_down = true;
        log::info("registry", "shutting down " + std::to_string(st.sessions.size()) + " sessions");
        for (auto& m : st.roster.members())
          self->send(m.handle, shutdown_atom::value);
      }),
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys, registry_limits limits,
                              registry_thread thread, inbox_actor inbox,
                              std::shared_ptr<persistence::cluster_link> cluster) {
  if (thread == registry_thread::own)
    return sys.spawn<caf::detached>(registry_behavior, std::move(limits), std::move(inbox),
                                    std::move(cluster));
  return sys.spawn(registry_behavior, std::move(limits), std::move(inbox), std::move(cluster));
}

} // namespace herald
