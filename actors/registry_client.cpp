#include "actors/registry_client.hpp"

#include "actors/ask.hpp"
#include "actors/clock.hpp"
#include "actors/history.hpp"
#include "actors/inbox.hpp"
#include "actors/info_collect.hpp"
#include "actors/registry.hpp"
#include "actors/session_order.hpp"
#include "persistence/cluster_link.hpp"
#include "persistence/store_worker.hpp"

#include <caf/all.hpp>

namespace herald {

namespace {
constexpr auto request_timeout = std::chrono::milliseconds(10000);
}

struct registry_client::impl {
  caf::actor_system& sys;
  std::shared_ptr<persistence::store_worker> store;
  std::shared_ptr<persistence::cluster_link> cluster;
  inbox_actor inbox;
  history_actor history;
  registry_actor registry;
  std::shared_ptr<const channel_rules> rules;
};

namespace {

publish_target target_of(char k) {
  return k == 'u'   ? publish_target::user
         : k == 'c' ? publish_target::channel
                    : publish_target::broadcast;
}

// Control API commands on the bus (persistence/cluster_link.hpp).
constexpr std::pair<session_command::kind, const char*> command_words[] = {
    {session_command::kind::subscribe, "sub"},
    {session_command::kind::unsubscribe, "unsub"},
    {session_command::kind::inbox_read, "read"},
    {session_command::kind::disconnect, "disc"},
};

session_command::kind command_kind_of(const std::string& word) {
  for (auto& [kind, w] : command_words)
    if (word == w)
      return kind;
  return session_command::kind::inbox_read; // decode admits only the words above
}

const char* command_word(session_command::kind kind) {
  for (auto& [k, w] : command_words)
    if (k == kind)
      return w;
  return "read";
}

char letter_of(publish_target t) {
  return t == publish_target::user ? 'u' : t == publish_target::channel ? 'c' : 'b';
}

} // namespace

registry_client::registry_client(caf::actor_system& sys, registry_limits limits,
                                 std::shared_ptr<persistence::store_worker> store,
                                 std::shared_ptr<persistence::cluster_link> cluster)
    : impl_(new impl{sys,
                     store,
                     cluster,
                     store ? spawn_inbox(sys, store, cluster ? cluster->node_id() : "local")
                           : inbox_actor{},
                     {},
                     {},
                     limits.session.channels}) {
  if (store && !impl_->rules->empty())
    impl_->history = spawn_history(sys, store, impl_->rules);
  impl_->registry =
      spawn_registry(sys, limits, registry_thread::own, impl_->inbox, impl_->history, cluster);
  if (cluster) {
    // Held weakly: the Redis threads outlive the actor system, and a strong
    // handle there would keep the registry's own thread (and so the actor
    // system's destructor) waiting until shutdown_grace runs out.
    auto registry = impl_->registry.address();
    auto tell = [registry](auto&&... xs) {
      if (auto r = caf::actor_cast<registry_actor>(registry))
        caf::anon_send(r, std::forward<decltype(xs)>(xs)...);
    };
    // Presence written while Redis was away is written again when it is back.
    cluster->on_connected([tell] { tell(resync_atom::value); });
    cluster->on_bus_message([tell](persistence::bus_message m) {
      if (!m.command.empty()) {
        tell(command_atom::value, std::move(m.name),
             session_command{command_kind_of(m.command), std::move(m.command_arg), m.command_code});
        return;
      }
      publish_request req;
      req.target = target_of(m.target);
      req.name = std::move(m.name);
      if (m.control)
        req.event = make_control_frame(std::move(m.tail));
      else if (m.history.offset > 0)
        req.event = restore_history_event(std::move(m.event_id), std::move(m.tail), req.name,
                                          std::move(m.history));
      else
        req.event = restore_event(std::move(m.event_id), std::move(m.tail), m.pos);
      req.remote = true;
      tell(publish_atom::value, std::move(req));
    });
  }
}

registry_client::~registry_client() = default;

void registry_client::connect(connect_request req) {
  caf::anon_send(impl_->registry, connect_atom::value, std::move(req));
}

// With Redis, an answer waits until the event went on to the other nodes.
void registry_client::answer_after_bus(publish_request& req, publish_done done) {
  if (auto cluster = impl_->cluster; cluster && !req.remote && !req.local_only) {
    // Delivered (and stored) here first, then sent on with its inbox
    // position; the publisher hears back once Redis took it.
    auto target = letter_of(req.target);
    auto name = req.name;
    done = [cluster, target, name, done = std::move(done)](std::optional<publish_outcome> out) {
      if (!out)
        return done(out);
      auto& ev = out->event;
      persistence::bus_message m{cluster->node_id(), target,          name, ev.id(), ev.data->tail,
                                 ev.pos(),           ev.data->history};
      cluster->publish(m, [out, done](std::optional<uint64_t> nodes) mutable {
        out->nodes = nodes.value_or(0);
        done(out);
      });
    };
  }
  req.reply = std::make_shared<publish_reply>(std::move(done));
}

void registry_client::publish(publish_request req, publish_done done) {
  answer_after_bus(req, std::move(done));
  caf::anon_send(impl_->registry, publish_atom::value, std::move(req));
}

void registry_client::publish_batch(std::vector<publish_request> batch,
                                    std::vector<publish_done> done) {
  for (size_t i = 0; i < batch.size() && i < done.size(); ++i)
    answer_after_bus(batch[i], std::move(done[i]));
  caf::anon_send(impl_->registry, batch_atom::value, std::move(batch));
}

void registry_client::stats(std::function<void(std::optional<registry_stats>)> done) {
  ask<registry_stats>(impl_->sys, impl_->registry, request_timeout, std::move(done),
                      stats_atom::value);
}

void registry_client::presence(std::string user,
                               std::function<void(std::optional<presence_info>)> done) {
  auto cluster = impl_->cluster;
  if (cluster)
    done = [cluster, user, done = std::move(done)](std::optional<presence_info> local) {
      if (!local)
        return done(local);
      cluster->presence(user,
                        [local, done](std::optional<persistence::cluster_presence> others) mutable {
                          // Redis down: this node's own view is still an answer.
                          if (others) {
                            local->sessions += others->sessions;
                            local->connected = local->sessions > 0;
                            if (others->last_seen_ms >= 0) {
                              auto seen = std::chrono::system_clock::time_point(
                                  std::chrono::milliseconds(others->last_seen_ms));
                              if (!local->last_seen || *local->last_seen < seen)
                                local->last_seen = seen;
                            }
                          }
                          done(local);
                        });
    };
  ask<presence_info>(impl_->sys, impl_->registry, request_timeout, std::move(done),
                     presence_atom::value, std::move(user));
}

void registry_client::actors(session_query q,
                             std::function<void(std::optional<actors_page>)> done) {
  auto& sys = impl_->sys;
  auto registry = impl_->registry;
  std::vector<caf::actor> others{caf::actor_cast<caf::actor>(registry)};
  if (impl_->inbox)
    others.push_back(caf::actor_cast<caf::actor>(impl_->inbox));
  if (impl_->history)
    others.push_back(caf::actor_cast<caf::actor>(impl_->history));
  sys.spawn([&sys, registry, others, q, done](caf::event_based_actor* self) {
    self->request(registry, std::chrono::seconds(2), actors_atom::value, q)
        .then(
            [&sys, self, others, q, done](session_page& page) {
              auto targets = others;
              for (auto& s : page.sessions)
                targets.push_back(caf::actor_cast<caf::actor>(s));
              bool by_id = q.sort == session_sort::id;
              actors_page out;
              out.total_sessions = page.total;
              out.scanned = by_id ? page.total : page.sessions.size();
              collect_info(
                  sys, std::move(targets),
                  [q, by_id, out, done](std::vector<actor_info> infos) mutable {
                    std::vector<actor_info> sessions;
                    for (auto& a : infos)
                      (a.kind == "session" ? sessions : out.actors).push_back(std::move(a));
                    if (!by_id)
                      order_sessions(sessions, q);
                    for (auto& s : sessions)
                      out.actors.push_back(std::move(s));
                    done(std::move(out));
                  });
              self->quit();
            },
            [self, done](caf::error&) {
              done(std::nullopt);
              self->quit();
            });
  });
}

const char* registry_client::redis_state() const {
  if (!impl_->cluster)
    return "disabled";
  return impl_->cluster->redis_up() ? "ok" : "down";
}

int64_t registry_client::redis_latency_us() const {
  return impl_->cluster ? impl_->cluster->redis_latency_us() : -1;
}

std::string registry_client::node_id() const {
  return impl_->cluster ? impl_->cluster->node_id() : "";
}

void registry_client::totals(std::function<void(std::optional<cluster_totals>)> done) {
  if (!impl_->cluster)
    return done(std::nullopt);
  impl_->cluster->totals([done](std::optional<std::pair<uint64_t, persistence::node_stats>> t) {
    if (!t)
      return done(std::nullopt);
    done(cluster_totals{t->first, t->second});
  });
}

void registry_client::shutdown() {
  caf::anon_send(impl_->registry, shutdown_atom::value);
}

void registry_client::members(std::string channel,
                              std::function<void(std::optional<uint64_t>)> done) {
  ask<uint64_t>(impl_->sys, impl_->registry, request_timeout, std::move(done), members_atom::value,
                std::move(channel));
}

void registry_client::command(std::string user, session_command command,
                              std::function<void(std::optional<uint64_t>)> done) {
  if (auto& cluster = impl_->cluster) {
    persistence::bus_message m;
    m.origin = cluster->node_id();
    m.target = 'u';
    m.name = user;
    m.command = command_word(command.what);
    m.command_arg = command.arg;
    m.command_code = command.code;
    cluster->publish(m, [](std::optional<uint64_t>) {});
  }
  ask<uint64_t>(impl_->sys, impl_->registry, request_timeout, std::move(done), command_atom::value,
                std::move(user), std::move(command));
}

bool registry_client::with_store(std::function<void(persistence::store&)> work,
                                 std::function<void(bool)> done) {
  return impl_->store &&
         impl_->store->post({std::move(work),
                             [done = std::move(done)](bool ok, const std::string&) { done(ok); }});
}

void registry_client::channels(std::string prefix, std::string after, uint64_t limit,
                               std::function<void(std::optional<channel_page>)> done) {
  ask<channel_page>(impl_->sys, impl_->registry, request_timeout, std::move(done),
                    channels_atom::value, std::move(prefix), std::move(after), limit);
}

bool registry_client::storage_healthy() const {
  // On Redis the store is as healthy as the connection; a failed write
  // during an outage must not keep the node degraded once Redis is back.
  if (impl_->cluster)
    return impl_->cluster->redis_up();
  return !impl_->store || impl_->store->healthy();
}

void registry_client::stop() {
  caf::anon_send_exit(impl_->registry, caf::exit_reason::user_shutdown);
  if (impl_->inbox)
    caf::anon_send_exit(impl_->inbox, caf::exit_reason::user_shutdown);
  if (impl_->history)
    caf::anon_send_exit(impl_->history, caf::exit_reason::user_shutdown);
}

const channel_options& registry_client::channel(const std::string& name) const {
  return impl_->rules->find(name);
}

void registry_client::history(std::string channel, uint64_t since, size_t limit,
                              std::function<void(std::optional<persistence::history_page>)> done) {
  auto rule = impl_->rules->find(channel).history;
  auto page = std::make_shared<persistence::history_page>();
  auto posted = impl_->store &&
                impl_->store->post({[=](persistence::store& s) {
                                      *page =
                                          s.history_read(channel, since, limit, wall_ms(), rule);
                                    },
                                    [=](bool ok, const std::string&) {
                                      done(ok ? std::optional(std::move(*page)) : std::nullopt);
                                    }});
  if (!posted)
    done(std::nullopt);
}

void registry_client::channel_presence(std::string channel,
                                       std::function<void(std::optional<channel_members>)> done) {
  if (auto cluster = impl_->cluster)
    done = [cluster, channel, done = std::move(done)](std::optional<channel_members> local) {
      if (!local)
        return done(local);
      cluster->channel_presence(channel, [local, done](auto others) mutable {
        if (others) {
          std::map<std::string, uint64_t> sum(local->users.begin(), local->users.end());
          for (auto& [user, n] : *others)
            sum[user] += n;
          local->users.assign(sum.begin(), sum.end());
        }
        done(local);
      });
    };
  ask<channel_members>(impl_->sys, impl_->registry, request_timeout, std::move(done),
                       who_atom::value, std::move(channel));
}

void registry_client::history_stats(
    std::function<void(std::optional<herald::history_stats>)> done) {
  if (!impl_->history)
    return done(herald::history_stats{});
  ask<herald::history_stats>(impl_->sys, impl_->history, request_timeout, std::move(done),
                             stats_atom::value);
}

} // namespace herald
