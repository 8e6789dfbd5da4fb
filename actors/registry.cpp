#include "actors/registry.hpp"

#include "actors/guarded.hpp"
#include "actors/history_protocol.hpp"
#include "actors/inbox_protocol.hpp"
#include "actors/registry/channel_presence.hpp"
#include "actors/registry/drain_scheduler.hpp"
#include "actors/registry/membership.hpp"
#include "actors/registry/presence_book.hpp"
#include "actors/session.hpp"
#include "config/log.hpp"
#include "config/text.hpp"
#include "persistence/cluster_link.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <unordered_set>

namespace herald {

namespace {

// Pooled fan-out elements freed per trim message, so whatever else arrives
// is not held up.
constexpr size_t trim_slice = 2048;

struct pending_publish {
  publish_request req;
  caf::typed_response_promise<publish_outcome> promise;
};

struct registry_state {
  static inline const char* name = "registry";
  registry_limits limits;
  std::shared_ptr<const session_limits> session_limits_shared; // handed to every session
  actor_meter meter;
  inbox_actor inbox;                                  // invalid: no durable inbox
  history_actor history;                              // invalid: no channel history
  std::shared_ptr<persistence::cluster_link> cluster; // null: a single node
  membership members;
  presence_book presence;
  channel_presence channel_users; // channels with presence or join_leave
  drain_scheduler drains;
  // Corked publishes: they wait here until the drain message behind them
  // runs, so a burst reaches each session as one message and one socket write.
  std::vector<pending_publish> pending;
  uint64_t backlog_refused = 0;
  uint64_t evicted_stale = 0;
  bool shutting_down = false;
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

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- membership and presence ---------------------------------------------------

const channel_options& options_of(self_ptr self, const std::string& channel) {
  return self->state.limits.session.channels->find(channel);
}

bool has_members_view(self_ptr self, const std::string& channel) {
  auto& o = options_of(self, channel);
  return o.presence || o.join_leave;
}

void enqueue(self_ptr self, publish_request req,
             caf::typed_response_promise<publish_outcome> promise);

// A join or leave frame to the channel on every node.
void announce(self_ptr self, const std::string& channel, const std::string& user, bool join) {
  auto& st = self->state;
  auto frame = json_text(nlohmann::json{{"type", join ? server_type::join : server_type::leave},
                                        {"channel", channel},
                                        {"user", user}});
  publish_request req;
  req.target = publish_target::channel;
  req.name = channel;
  req.event = make_control_frame(frame);
  if (st.cluster) {
    persistence::bus_message m{
        st.cluster->node_id(), 'c', channel, req.event.id(), frame, {}, {}, true};
    st.cluster->publish(m, [](std::optional<uint64_t>) {});
  }
  enqueue(self, std::move(req), self->make_response_promise<publish_outcome>());
}

// One of `user`'s attached sessions came into (+) or left (-) a channel
// with presence or join_leave. The user's first and last session here make
// a join/leave frame, unless another node has the user there too.
void seat_changed(self_ptr self, const std::string& channel, const std::string& user, bool came) {
  auto& st = self->state;
  auto n = came ? st.channel_users.add(channel, user) : st.channel_users.remove(channel, user);
  bool edge = came ? n == 1 : n == 0;
  auto& o = options_of(self, channel);
  bool announce_it = edge && o.join_leave;
  if (!st.cluster) {
    if (announce_it)
      announce(self, channel, user, came);
    return;
  }
  if (!o.presence && !edge)
    return;
  std::function<void(std::optional<uint64_t>)> then;
  if (announce_it)
    // The registry held weakly: Redis's threads may outlive it.
    then = [registry = self->address(), channel, user, came](std::optional<uint64_t> elsewhere) {
      auto r = caf::actor_cast<registry_actor>(registry);
      // Redis down: this node's members hear of it at least.
      if (r && (!elsewhere || *elsewhere == 0))
        caf::anon_send(r, announce_atom::value, channel, user, came);
    };
  st.cluster->set_channel_presence(channel, user, n, std::move(then));
}

void set_attached(self_ptr self, session_id id, bool attached) {
  auto& st = self->state;
  auto e = st.members.find(id);
  if (!e || !st.members.set_attached(id, attached))
    return;
  auto count = st.presence.attached_changed(e->user, attached);
  if (st.cluster)
    st.cluster->set_presence(e->user, count, wall_ms());
  for (auto& seat : e->seats)
    if (has_members_view(self, seat.channel))
      seat_changed(self, seat.channel, e->user, attached);
}

void prune_presence(self_ptr self) {
  auto& st = self->state;
  st.presence.prune(now_ns(self), ns(st.limits.presence_retain), st.limits.presence_max_users);
}

void remove_session(self_ptr self, session_id id) {
  auto& st = self->state;
  if (!st.members.contains(id))
    return;
  set_attached(self, id, false);
  st.presence.remove_session(st.members.remove(id), id);
}

// A named user at session.max_per_user: the oldest session (live or
// resumable) is closed 4008 and forgotten now, so the count stays exact.
void make_room_for(self_ptr self, const std::string& user) {
  auto& st = self->state;
  auto u = st.presence.find(user);
  if (!u || u->sessions.size() < st.limits.max_per_user)
    return;
  auto born = [&](session_id id) {
    auto e = st.members.find(id);
    return e ? e->born : UINT64_MAX;
  };
  auto oldest = *std::min_element(u->sessions.begin(), u->sessions.end(),
                                  [&](auto a, auto b) { return born(a) < born(b); });
  if (!st.members.contains(oldest))
    return;
  self->send(st.members.member(oldest)->handle, kick_atom::value, close_code::too_many_sessions);
  remove_session(self, oldest);
}

// Supervision: however a session ends (quit, failure), the registry hears
// of it with the session's id and reason (gone_atom).
void supervise(self_ptr self, const session_actor& session, session_id id) {
  caf::actor_cast<caf::abstract_actor*>(session)->attach_functor(
      [registry = self->address(), id](const caf::error& reason) {
        if (auto r = caf::actor_cast<registry_actor>(registry))
          caf::anon_send(r, gone_atom::value, id, reason);
      });
}

void on_session_gone(self_ptr self, session_id id, const caf::error& reason) {
  auto& st = self->state;
  if (reason && reason != caf::exit_reason::normal && reason != caf::exit_reason::user_shutdown) {
    auto what = "session " + format_session_id(id) + ": " + caf::to_string(reason);
    log::warn("registry", what);
    ++st.meter.failures;
    st.meter.last_error = what;
  }
  remove_session(self, id);
}

session_init fresh_session(self_ptr self, connect_request& req) {
  auto& st = self->state;
  session_init init;
  do
    init.id = random_u64();
  while (init.id == 0 || st.members.contains(init.id));
  init.user = req.user.empty() ? "anon:" + format_session_id(init.id) : req.user;
  init.resume_token = random_hex(2);
  init.allowed = std::move(req.allowed);
  init.token_exp_s = req.token_exp_s;
  init.channels = std::move(req.channels);
  init.sink = std::move(req.sink);
  init.limits = st.session_limits_shared;
  init.registry = self;
  init.since = req.since;
  init.last_event_id = req.last_event_id;
  if (!req.user.empty())
    init.inbox = st.inbox;
  return init;
}

bool sits_in(const membership::entry& e, const std::string& channel) {
  return std::any_of(e.seats.begin(), e.seats.end(),
                     [&](const auto& seat) { return seat.channel == channel; });
}

// A session joined a channel; one with history gets its recovery from the
// history actor. Asked only now, after the join: an event the read misses
// reaches the session live.
void join(self_ptr self, session_id id, const std::string& channel, const history_since& since) {
  auto& st = self->state;
  auto e = st.members.find(id);
  if (!e)
    return;
  bool was_in = sits_in(*e, channel);
  st.members.join(id, channel);
  auto m = st.members.member(id);
  if (!was_in && m->attached && has_members_view(self, channel))
    seat_changed(self, channel, e->user, true);
  if (st.history && options_of(self, channel).has_history())
    self->send(st.history, load_atom::value, channel, since, m->handle);
}

void leave(self_ptr self, session_id id, const std::string& channel) {
  auto& st = self->state;
  auto e = st.members.find(id);
  if (!e)
    return;
  bool was_in = sits_in(*e, channel);
  st.members.leave(id, channel);
  if (was_in && st.members.member(id)->attached && has_members_view(self, channel))
    seat_changed(self, channel, e->user, false);
}

channel_members members_of(self_ptr self, const std::string& channel) {
  return {self->state.channel_users.users(channel)};
}

void spawn_fresh(self_ptr self, connect_request& req) {
  auto& st = self->state;
  if (!req.user.empty())
    make_room_for(self, req.user);
  auto init = fresh_session(self, req);
  auto id = init.id;
  auto channels = init.channels;
  auto since = init.since;
  // Entered before the session starts, so an event published the moment the
  // client sees its welcome frame already finds it.
  st.presence.add_session(init.user, id, now_ns(self));
  auto user = init.user, token = init.resume_token;
  auto handle = spawn_session(self, std::move(init));
  st.members.add(id, std::move(user), std::move(token), handle);
  for (auto& c : channels) {
    auto s = since.find(c);
    join(self, id, c, s == since.end() ? history_since{} : history_since{true, s->second});
  }
  set_attached(self, id, true);
  supervise(self, handle, id);
  if (st.presence.size() > st.limits.presence_max_users)
    prune_presence(self);
}

bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) // both are random_hex(2): the length is no secret
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// A named user resumes their own sessions; an anonymous client must show the
// resume_token its welcome gave: a session id alone is not enough.
bool may_resume(const connect_request& req, const membership::entry& target) {
  if (!req.user.empty())
    return target.user == req.user;
  return anonymous_user(target.user) && same_secret(req.resume_token, target.resume_token);
}

void on_connect(self_ptr self, connect_request& req) {
  auto& st = self->state;
  if (st.shutting_down)
    return req.sink->close(close_code::going_away, reconnect_reason(0), false);
  auto resume = parse_session_id(req.resume_id);
  if (!resume)
    return spawn_fresh(self, req);
  auto target = st.members.find(*resume);
  if (!target || !may_resume(req, *target))
    return spawn_fresh(self, req);
  auto handle = st.members.member(*resume)->handle;
  self->request(handle, std::chrono::seconds(5), attach_atom::value, req.sink, req.last_seq,
                req.token_exp_s)
      .then(guarded(self,
                    [=](bool ok) mutable {
                      if (!ok)
                        spawn_fresh(self, req);
                    }),
            guarded(self, [=](caf::error&) mutable { spawn_fresh(self, req); }));
}

// --- delivery --------------------------------------------------------------------

// Calls f(handle, attached) for every session a publish targets.
template <class F> void for_targets(self_ptr self, const publish_request& req, F f) {
  auto& st = self->state;
  auto each = [&](const session_roster* roster) {
    if (roster)
      for (auto& m : roster->members())
        f(m.handle, m.attached);
  };
  switch (req.target) {
    case publish_target::user:
      if (auto u = st.presence.find(req.name))
        for (auto id : u->sessions)
          if (auto m = st.members.member(id))
            f(m->handle, m->attached);
      break;
    case publish_target::channel:
      each(st.members.channel(req.name));
      break;
    case publish_target::broadcast:
      each(&st.members.roster());
      break;
  }
}

void order_drain(self_ptr self, drain_scheduler::drain_order order) {
  using order_t = drain_scheduler::drain_order;
  if (order == order_t::now)
    self->send(self, drain_atom::value);
  else if (order == order_t::after_cork_window)
    self->delayed_send(self, std::chrono::nanoseconds(drain_scheduler::cork_window_ns),
                       drain_atom::value);
}

void order_trim(self_ptr self, int64_t in_ns) {
  if (in_ns > 0)
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

// Consecutive publishes to the same target, [from, end), travel as one list
// shared by every session they reach; returns how many live sessions.
uint64_t fan_out(self_ptr self, const std::vector<pending_publish>& batch, size_t from, size_t end,
                 const drain_share& share, session_fanout& fanout) {
  auto events = std::make_shared<std::vector<event_frame>>();
  events->reserve(end - from);
  for (auto k = from; k < end; ++k)
    events->push_back(batch[k].req.event);
  // One message for every session it reaches: no per-session copy.
  auto msg = caf::make_message(event_atom::value, event_list{std::move(events)}, share);
  uint64_t live = 0;
  for_targets(self, batch[from].req, [&](const session_actor& handle, bool attached) {
    fanout.add(handle, msg);
    live += attached;
  });
  return live;
}

// Delivers every corked publish in publish order; each publisher learns how
// many live sessions its event reached.
void drain(self_ptr self) {
  auto& st = self->state;
  if (!st.drains.on_drain(now_ns(self), !st.pending.empty()))
    return;
  auto batch = std::exchange(st.pending, {});
  drain_share share = std::make_shared<const drain_receipt>(caf::actor_cast<registry_actor>(self));
  session_fanout fanout; // the idle sessions run once every mailbox has the drain
  std::vector<publish_outcome> reached(batch.size());
  for (size_t i = 0, end = 0; i < batch.size(); i = end) {
    end = i + 1;
    while (end < batch.size() && same_target(batch[i].req, batch[end].req))
      ++end;
    auto live = fan_out(self, batch, i, end, share, fanout);
    for (auto k = i; k < end; ++k)
      reached[k].delivered = live;
  }
  share.reset(); // from now on only the sessions' shares keep the drain open
  fanout.launch(self->context(), self->system());
  for (size_t i = 0; i < batch.size(); ++i) {
    reached[i].stored = batch[i].req.event.stored() || batch[i].req.event.offset() > 0;
    reached[i].event = batch[i].req.event;
    if (batch[i].req.reply)
      (*batch[i].req.reply)(reached[i]);
    batch[i].promise.deliver(reached[i]);
  }
}

void enqueue(self_ptr self, publish_request req,
             caf::typed_response_promise<publish_outcome> promise) {
  auto& st = self->state;
  if (st.pending.size() >= st.limits.publish_backlog_max) {
    // Sessions are not taking events as fast as they come (a flood from the
    // bus, say): refuse rather than hold an unbounded backlog.
    if (st.backlog_refused++ % 1000 == 0)
      log::warn("registry", "publish backlog at delivery.publish_backlog_max: publishes refused (" +
                                std::to_string(st.backlog_refused) + " so far)");
    promise.deliver(
        caf::make_error(caf::sec::runtime_error, "delivery.publish_backlog_max reached"));
    return;
  }
  st.pending.push_back({std::move(req), std::move(promise)});
  order_drain(self, st.drains.on_publish(now_ns(self)));
}

void on_drained(self_ptr self) {
  auto& st = self->state;
  auto next = st.drains.on_drained(!st.pending.empty());
  order_drain(self, next.drain);
  order_trim(self, next.trim_in_ns);
}

void on_trim(self_ptr self) {
  auto& st = self->state;
  auto order = st.drains.on_trim(now_ns(self));
  order_trim(self, order.retry_in_ns);
  if (order.trim_now && fanout::trim_spare_elements(st.members.size(), trim_slice)) {
    st.drains.trim_continues();
    self->send(self, trim_atom::value);
  }
}

bool keeps_in_inbox(self_ptr self, const publish_request& req) {
  return req.target == publish_target::user && self->state.inbox && !req.remote &&
         !anonymous_user(req.name);
}

// Kept first (the user's inbox, the channel's history), so what the
// publisher is told is kept is kept; then live. Appends answer in order.
template <class Keeper>
void keep_then_enqueue(self_ptr self, const Keeper& keeper, publish_request& req,
                       caf::typed_response_promise<publish_outcome> promise) {
  auto& st = self->state;
  self->request(keeper, st.limits.store_timeout, append_atom::value, req.name, req.event)
      .then(guarded(self,
                    [=](event_frame& kept) mutable {
                      req.event = std::move(kept);
                      enqueue(self, std::move(req), promise);
                    }),
            guarded(self, [=](caf::error& err) mutable {
              log::warn("registry", "event " + req.event.id() + " for " + req.name +
                                        " delivered without keeping it: " + caf::to_string(err));
              enqueue(self, std::move(req), promise);
            }));
}

caf::typed_response_promise<publish_outcome> on_publish(self_ptr self, publish_request& req) {
  auto& st = self->state;
  auto promise = self->make_response_promise<publish_outcome>();
  bool local = !req.remote;
  if (keeps_in_inbox(self, req))
    keep_then_enqueue(self, st.inbox, req, promise);
  else if (req.target == publish_target::channel && st.history && local &&
           options_of(self, req.name).has_history())
    keep_then_enqueue(self, st.history, req, promise);
  else
    enqueue(self, std::move(req), promise);
  return promise;
}

// A batch: its user events go to the inbox together (one store transaction),
// then every item goes on in the batch's order.
void on_publish_batch(self_ptr self, std::vector<publish_request>& batch) {
  auto& st = self->state;
  std::vector<user_event> users;
  for (auto& req : batch)
    if (keeps_in_inbox(self, req))
      users.emplace_back(req.name, req.event);
  auto go_on = [self](std::vector<publish_request>& reqs) {
    for (auto& req : reqs) {
      if (keeps_in_inbox(self, req))
        enqueue(self, std::move(req), {});
      else
        on_publish(self, req);
    }
  };
  if (users.empty())
    return go_on(batch);
  auto shared = std::make_shared<std::vector<publish_request>>(std::move(batch));
  self->request(st.inbox, st.limits.store_timeout, batch_atom::value, std::move(users))
      .then(guarded(self,
                    [=](std::vector<event_frame>& kept) {
                      size_t k = 0;
                      for (auto& req : *shared)
                        if (keeps_in_inbox(self, req) && k < kept.size())
                          req.event = std::move(kept[k++]);
                      go_on(*shared);
                    }),
            guarded(self, [=](caf::error& err) {
              log::warn("registry", "a batch of " + std::to_string(shared->size()) +
                                        " delivered without keeping it: " + caf::to_string(err));
              go_on(*shared);
            }));
}

// --- views -----------------------------------------------------------------------------

// A connected user's sessions report frames to the registry at most once a
// second; their own clocks are exact, so they are asked (each answer, or
// its failure, counts; the newest wins).
caf::typed_response_promise<presence_info> answer_presence(self_ptr self, const std::string& user) {
  auto& st = self->state;
  auto rp = self->make_response_promise<presence_info>();
  auto g = std::make_shared<presence_info>();
  g->user = user;
  std::vector<session_actor> live;
  if (auto u = st.presence.find(user)) {
    g->connected = u->attached > 0;
    g->sessions = u->attached;
    g->last_seen = u->last_seen_wall;
    for (auto id : u->sessions)
      if (auto m = st.members.member(id); m && m->attached)
        live.push_back(m->handle);
  }
  auto left = std::make_shared<size_t>(live.size());
  auto one_done = [g, left, rp]() mutable {
    if (--*left == 0)
      rp.deliver(*g);
  };
  if (live.empty())
    rp.deliver(*g);
  for (auto& s : live)
    self->request(s, std::chrono::seconds(1), seen_atom::value)
        .then(guarded(self,
                      [g, one_done](int64_t wall_ns) mutable {
                        auto t = std::chrono::system_clock::time_point(
                            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                std::chrono::nanoseconds(wall_ns)));
                        if (!g->last_seen || t > *g->last_seen)
                          g->last_seen = t;
                        one_done();
                      }),
              guarded(self, [one_done](caf::error&) mutable { one_done(); }));
  return rp;
}

session_page page_of(self_ptr self, const session_query& q) {
  auto& st = self->state;
  std::vector<const session_roster::member*> match;
  const session_roster* in_channel = nullptr;
  if (!q.channel.empty()) {
    in_channel = st.members.channel(q.channel);
    if (!in_channel)
      return {};
  }
  if (!q.user.empty()) {
    if (auto u = st.presence.find(q.user))
      for (auto id : u->sessions)
        if (auto m = st.members.member(id))
          match.push_back(m);
    if (in_channel) {
      std::unordered_set<session_id> there;
      for (auto& m : in_channel->members())
        there.insert(m.id);
      match.erase(std::remove_if(match.begin(), match.end(),
                                 [&](auto m) { return there.count(m->id) == 0; }),
                  match.end());
    }
  } else {
    for (auto& m : (in_channel ? *in_channel : st.members.roster()).members())
      match.push_back(&m);
  }
  // Sorted by id: only the requested page needs ordering. Other sorts get the
  // first scan_max by id, ordered by the asker once it has their numbers.
  bool by_id = q.sort == session_sort::id;
  uint64_t skip = by_id ? q.offset : 0;
  uint64_t want = by_id ? q.limit : q.scan_max;
  auto end = match.begin() + long(std::min<size_t>(match.size(), size_t(skip + want)));
  bool newest_first = by_id && q.descending;
  std::partial_sort(match.begin(), end, match.end(),
                    [&](auto a, auto b) { return newest_first ? a->id > b->id : a->id < b->id; });
  session_page page;
  page.total = match.size();
  for (size_t i = size_t(skip); i < match.size() && page.sessions.size() < want; ++i)
    page.sessions.push_back(match[i]->handle);
  return page;
}

// The control API: a command for every session of `user` on this node.
uint64_t command_user(self_ptr self, const std::string& user, const session_command& command) {
  auto& st = self->state;
  uint64_t sessions = 0;
  if (auto u = st.presence.find(user))
    for (auto id : u->sessions)
      if (auto m = st.members.member(id)) {
        self->send(m->handle, command_atom::value, command);
        ++sessions;
      }
  return sessions;
}

registry_stats stats_of(self_ptr self) {
  auto& st = self->state;
  registry_stats out;
  out.sessions = st.members.size();
  out.attached = st.members.attached();
  out.users = st.presence.online();
  out.channels = st.members.channel_count();
  out.evicted_stale = st.evicted_stale;
  return out;
}

actor_info info_of(self_ptr self) {
  auto& st = self->state;
  auto out = metered_info("registry", "registry", "", self->mailbox().size(), st.meter);
  out.state = st.shutting_down ? "stopping" : "running";
  return out;
}

// --- timers and lifecycle -------------------------------------------------------------

// Redis (re)connected: this node's presence is written again.
void resync_presence(self_ptr self) {
  auto& st = self->state;
  if (!st.cluster)
    return;
  for (auto& [user, u] : st.presence.users())
    if (u.attached > 0)
      st.cluster->set_presence(user, u.attached, wall_ms());
  st.channel_users.each([&](const std::string& channel, const std::string& user, uint64_t n) {
    st.cluster->set_channel_presence(channel, user, n, nullptr);
  });
}

// Each session pings its client, or evicts itself when silent.
void on_tick(self_ptr self) {
  auto& st = self->state;
  if (st.shutting_down)
    return;
  for (auto& m : st.members.roster().members())
    if (m.attached)
      self->send(m.handle, heartbeat_atom::value);
  prune_presence(self);
  self->delayed_send(self, st.limits.session.heartbeat_interval, tick_atom::value);
}

void on_shutdown(self_ptr self) {
  auto& st = self->state;
  st.shutting_down = true;
  log::info("registry", "shutting down " + std::to_string(st.members.size()) + " sessions");
  for (auto& m : st.members.roster().members())
    self->send(m.handle, shutdown_atom::value);
}

void on_status(self_ptr self, session_id id, bool attached) {
  auto e = self->state.members.find(id);
  if (!e)
    return;
  set_attached(self, id, attached);
  self->state.presence.seen(e->user, now_ns(self));
}

registry_actor::behavior_type
registry_behavior(self_ptr self, registry_limits limits, inbox_actor inbox, history_actor history,
                  std::shared_ptr<persistence::cluster_link> cluster) {
  auto& st = self->state;
  st.limits = limits;
  st.session_limits_shared = std::make_shared<const session_limits>(limits.session);
  st.inbox = inbox;
  st.history = history;
  st.cluster = std::move(cluster);
  st.drains = drain_scheduler(limits.batches_in_flight);
  self->delayed_send(self, limits.session.heartbeat_interval, tick_atom::value);
  log::debug("registry", "started");
  using publish_answer = caf::typed_response_promise<publish_outcome>;
  using presence_answer = caf::typed_response_promise<presence_info>;
  return {
      guarded(self, [=](connect_atom, connect_request& req) { on_connect(self, req); }),
      guarded(self,
              [=](publish_atom, publish_request& req) -> publish_answer {
                return on_publish(self, req);
              }),
      guarded(self, [=](batch_atom,
                        std::vector<publish_request>& batch) { on_publish_batch(self, batch); }),
      guarded(self, [=](stats_atom) -> caf::result<registry_stats> { return stats_of(self); }),
      guarded(self, [=](info_atom) -> caf::result<actor_info> { return info_of(self); }),
      guarded(self,
              [=](members_atom, const std::string& channel) -> caf::result<uint64_t> {
                auto roster = self->state.members.channel(channel);
                return roster ? roster->size() : 0;
              }),
      guarded(self,
              [=](actors_atom, const session_query& q) -> caf::result<session_page> {
                return page_of(self, q);
              }),
      guarded(self,
              [=](presence_atom, const std::string& user) -> presence_answer {
                return answer_presence(self, user);
              }),
      guarded(self, [=](join_atom, session_id id, const std::string& channel,
                        const history_since& since) { join(self, id, channel, since); }),
      guarded(self, [=](leave_atom, session_id id,
                        const std::string& channel) { leave(self, id, channel); }),
      guarded(self,
              [=](who_atom, const std::string& channel) -> caf::result<channel_members> {
                return members_of(self, channel);
              }),
      guarded(self,
              [=](channels_atom, const std::string& prefix, const std::string& after,
                  uint64_t limit) -> caf::result<channel_page> {
                channel_page page;
                page.channels = self->state.members.channel_page(
                    prefix, after, static_cast<size_t>(limit), page.total);
                return page;
              }),
      guarded(self,
              [=](command_atom, const std::string& user, const session_command& command)
                  -> caf::result<uint64_t> { return command_user(self, user, command); }),
      guarded(self, [=](announce_atom, const std::string& channel, const std::string& user,
                        bool join) { announce(self, channel, user, join); }),
      guarded(self,
              [=](status_atom, session_id id, bool attached) { on_status(self, id, attached); }),
      guarded(self, [=](evicted_atom, session_id) { ++self->state.evicted_stale; }),
      guarded(self, [=](tick_atom) { on_tick(self); }),
      guarded(self, [=](drain_atom) { drain(self); }),
      guarded(self, [=](drained_atom) { on_drained(self); }),
      guarded(self, [=](trim_atom) { on_trim(self); }),
      guarded(self, [=](gone_atom, session_id id,
                        const caf::error& reason) { on_session_gone(self, id, reason); }),
      guarded(self, [=](resync_atom) { resync_presence(self); }),
      guarded(self, [=](shutdown_atom) { on_shutdown(self); }),
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys, registry_limits limits,
                              registry_thread thread, inbox_actor inbox, history_actor history,
                              std::shared_ptr<persistence::cluster_link> cluster) {
  if (thread == registry_thread::own)
    return sys.spawn<caf::detached>(registry_behavior, limits, std::move(inbox), std::move(history),
                                    std::move(cluster));
  return sys.spawn(registry_behavior, limits, std::move(inbox), std::move(history),
                   std::move(cluster));
}

} // namespace herald
