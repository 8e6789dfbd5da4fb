#include "net/monitor_feed.hpp"

#include "actors/event.hpp"
#include "config/text.hpp"
#include "net/jwt_auth.hpp"
#include "net/monitor_json.hpp"

#include <algorithm>
#include <future>

namespace herald::net {

using nlohmann::json;

namespace {
constexpr auto answer_within = std::chrono::milliseconds(800);
constexpr uint64_t sessions_shown = 200;

// Waits for an asynchronous answer on this thread; nothing if it is late.
template <class T, class Ask> std::optional<T> wait_for(Ask ask) {
  auto p = std::make_shared<std::promise<std::optional<T>>>();
  auto f = p->get_future();
  ask([p](std::optional<T> v) { p->set_value(std::move(v)); });
  if (f.wait_for(answer_within) != std::future_status::ready)
    return std::nullopt;
  return f.get();
}

// Counters, and the channels this node wrote to lately with the events each
// keeps (the largest first, at most channels_shown).
json history_json(history_stats h) {
  constexpr size_t channels_shown = 50;
  std::sort(h.channels.begin(), h.channels.end(),
            [](auto& a, auto& b) { return a.second > b.second; });
  if (h.channels.size() > channels_shown)
    h.channels.resize(channels_shown);
  json channels = json::array();
  for (auto& [name, kept] : h.channels)
    channels.push_back({{"channel", name}, {"kept", kept}});
  return {{"appended", h.appended},
          {"append_failures", h.append_failures},
          {"recovered", h.recovered},
          {"not_recovered", h.not_recovered},
          {"channels", channels}};
}
} // namespace

monitor_feed::monitor_feed(registry_client& registry, queue_client* queue,
                           const server_counters& counters, std::chrono::milliseconds every)
    : registry_(registry), queue_(queue), counters_(counters),
      thread_(every, [this] { publish_once(); }) {}

void monitor_feed::publish_once() {
  // Nobody watching on this node: gather nothing.
  auto watchers = wait_for<uint64_t>([&](auto cb) { registry_.members(monitor_channel, cb); });
  if (!watchers || *watchers == 0)
    return;
  auto stats = wait_for<registry_stats>([&](auto cb) { registry_.stats(cb); });
  auto page = wait_for<actors_page>([&](auto cb) { registry_.actors("", sessions_shown, 0, cb); });
  std::optional<std::vector<actor_info>> queue_actors;
  std::optional<queue_stats> queue;
  if (queue_) {
    queue_actors = wait_for<std::vector<actor_info>>(
        [&](auto cb) { queue_->actors([cb](std::vector<actor_info> v) { cb(std::move(v)); }); });
    queue = wait_for<queue_stats>([&](auto cb) { queue_->stats(cb); });
  }
  auto history = wait_for<history_stats>([&](auto cb) { registry_.history_stats(cb); });
  json actors = json::array();
  if (page)
    for (auto& a : page->actors)
      actors.push_back(actor_json(a));
  if (queue_actors)
    for (auto& a : *queue_actors)
      actors.push_back(actor_json(a));
  std::string redis = registry_.redis_state();
  bool storage_ok = registry_.storage_healthy() && redis != "down";
  json snapshot{
      {"t", std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count()},
      {"node_id", registry_.node_id()},
      {"uptime_s",
       std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
           .count()},
      {"health",
       {{"status", storage_ok ? "ok" : "degraded"},
        {"storage", storage_ok ? "ok" : "down"},
        {"redis", redis}}},
      {"connections", counters_.active_connections.load()},
      {"total_messages", counters_.total_messages.load()},
      {"messages_in", counters_.messages_in.load()},
      {"sessions", stats ? json(stats->sessions) : json(nullptr)},
      {"users", stats ? json(stats->users) : json(nullptr)},
      {"total_sessions", page ? json(page->total_sessions) : json(nullptr)},
      {"actors", actors},
      {"queue", queue ? queue_stats_json(*queue) : json(nullptr)},
      {"history", history ? history_json(*history) : json(nullptr)},
  };
  publish_request req;
  req.target = publish_target::channel;
  req.name = monitor_channel;
  req.event = make_event(monitor_channel, "snapshot", json_text(snapshot));
  req.local_only = true;
  registry_.publish(std::move(req), [](std::optional<publish_outcome>) {});
}

} // namespace herald::net
