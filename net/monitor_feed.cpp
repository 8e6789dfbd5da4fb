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
                           const server_counters& counters, monitor_series& series,
                           uint64_t scan_sessions, std::chrono::milliseconds every)
    : registry_(registry), queue_(queue), counters_(counters), series_(series),
      scan_sessions_(scan_sessions), thread_(every, [this] { tick(); }) {}

void monitor_feed::tick() {
  auto watchers = wait_for<uint64_t>([&](auto cb) { registry_.members(monitor_channel, cb); });
  bool watched = watchers && *watchers > 0;
  auto stats = wait_for<registry_stats>([&](auto cb) { registry_.stats(cb); });
  // The queue's counts are a store query (SQLite: a pass over the jobs
  // table): while nobody watches, the series takes them every few seconds.
  std::optional<queue_stats> queue;
  if (queue_ && (watched || ticks_ % unwatched_queue_every == 0))
    queue = wait_for<queue_stats>([&](auto cb) { queue_->stats(cb); });
  ++ticks_;
  auto point = measure(stats, queue);
  series_.add(point);
  if (watched)
    publish_snapshot(std::move(point), stats, queue);
}

json monitor_feed::measure(const std::optional<registry_stats>& stats,
                           const std::optional<queue_stats>& queue) {
  auto now = std::chrono::steady_clock::now();
  double secs = std::max(1e-3, std::chrono::duration<double>(now - last_at_).count());
  last_at_ = now;
  uint64_t messages = counters_.total_messages.load();
  double deliveries = double(messages - std::min(messages, last_messages_)) / secs;
  last_messages_ = messages;
  auto latency = publish_to_write().read();
  auto ms = [](std::optional<double> s) { return s ? json(*s * 1000.0) : json(nullptr); };
  auto p50 = latency_histogram::quantile(last_latency_, latency, 0.5);
  auto p99 = latency_histogram::quantile(last_latency_, latency, 0.99);
  last_latency_ = latency;
  std::string redis = registry_.redis_state();
  auto redis_us = registry_.redis_latency_us();
  json point{
      {"t", std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count()},
      {"connections", counters_.active_connections.load()},
      {"sessions", stats ? json(stats->sessions) : json(nullptr)},
      {"deliveries", deliveries},
      {"p50_ms", ms(p50)},
      {"p99_ms", ms(p99)},
      {"healthy", registry_.storage_healthy() && redis != "down"},
      {"redis_ms",
       redis != "disabled" && redis_us >= 0 ? json(double(redis_us) / 1000.0) : json(nullptr)},
  };
  if (queue) {
    point["waiting"] = queue->now.waiting;
    point["active"] = queue->now.active;
    point["delayed"] = queue->now.delayed;
    point["dead"] = queue->now.dead;
    double since = std::max(1e-3, std::chrono::duration<double>(now - last_queue_at_).count());
    point["failed"] = double(queue->failed - std::min(queue->failed, last_failed_)) / since;
    last_failed_ = queue->failed;
    last_queue_at_ = now;
  }
  return point;
}

void monitor_feed::publish_snapshot(json point, const std::optional<registry_stats>& stats,
                                    const std::optional<queue_stats>& queue) {
  session_query busiest;
  busiest.sort = session_sort::outbound;
  busiest.descending = true;
  busiest.limit = top_sessions;
  busiest.scan_max = scan_sessions_;
  auto page = wait_for<actors_page>([&](auto cb) { registry_.actors(busiest, cb); });
  std::optional<std::vector<actor_info>> queue_actors;
  if (queue_)
    queue_actors = wait_for<std::vector<actor_info>>(
        [&](auto cb) { queue_->actors([cb](std::vector<actor_info> v) { cb(std::move(v)); }); });
  auto history = wait_for<history_stats>([&](auto cb) { registry_.history_stats(cb); });
  json actors = json::array();
  if (page)
    for (auto& a : page->actors)
      actors.push_back(actor_json(a));
  if (queue_actors)
    for (auto& a : *queue_actors)
      actors.push_back(actor_json(a));
  std::string redis = registry_.redis_state();
  bool storage_ok = point["healthy"].get<bool>();
  json snapshot{
      {"t", point["t"]},
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
      {"sessions_scanned", page ? json(page->scanned) : json(nullptr)},
      {"actors", actors},
      {"queue", queue ? queue_stats_json(*queue) : json(nullptr)},
      {"history", history ? history_json(*history) : json(nullptr)},
      {"point", std::move(point)},
  };
  publish_request req;
  req.target = publish_target::channel;
  req.name = monitor_channel;
  req.event = make_event(monitor_channel, "snapshot", json_text(snapshot));
  req.local_only = true;
  registry_.publish(std::move(req), [](std::optional<publish_outcome>) {});
}

} // namespace herald::net
