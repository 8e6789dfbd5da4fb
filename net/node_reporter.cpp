#include "net/node_reporter.hpp"

#include <future>

namespace herald::net {

node_reporter::node_reporter(registry_client& registry, const server_counters& counters,
                             persistence::cluster_link& cluster)
    : registry_(registry), counters_(counters), cluster_(cluster),
      thread_(cluster.node_ttl() / 3, [this] { report_once(); }) {}

void node_reporter::report_once() {
  auto answer = std::make_shared<std::promise<std::optional<registry_stats>>>();
  auto future = answer->get_future();
  registry_.stats([answer](std::optional<registry_stats> st) { answer->set_value(st); });
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return;
  auto st = future.get();
  if (!st)
    return;
  cluster_.report({
      {"active_connections", int64_t(counters_.active_connections.load())},
      {"total_connections", int64_t(counters_.total_connections.load())},
      {"total_messages", int64_t(counters_.total_messages.load())},
      {"messages_in", int64_t(counters_.messages_in.load())},
      {"users", int64_t(st->users)},
      {"channels", int64_t(st->channels)},
      {"sessions", int64_t(st->sessions)},
      {"evicted_stale", int64_t(st->evicted_stale)},
  });
}

} // namespace herald::net
