#pragma once
// The console's live feed: once a second, a snapshot of the node (counters,
// health, the actor tree with the busiest sessions, the queue) is published
// as event "snapshot" on channel herald.monitor, which console tokens may
// join. Its own thread gathers the answers; nothing else waits for it.
#include "actors/queue_client.hpp"
#include "actors/registry_client.hpp"
#include "net/server_counters.hpp"

#include "net/periodic_thread.hpp"

namespace herald::net {

class monitor_feed {
public:
  monitor_feed(registry_client& registry, queue_client* queue, const server_counters& counters,
               std::chrono::milliseconds every = std::chrono::seconds(1));
  void stop() { thread_.stop(); }

private:
  void publish_once();

  registry_client& registry_;
  queue_client* queue_;
  const server_counters& counters_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  periodic_thread thread_; // last: it starts publishing at once
};

} // namespace herald::net
