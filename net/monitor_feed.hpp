#pragma once
// The console's live feed: once a second, a snapshot of the node (counters,
// health, the actor tree with the busiest sessions, the queue) is published
// as event "snapshot" on channel herald.monitor, which console tokens may
// join. Its own thread gathers the answers; nothing else waits for it.
#include "actors/queue_client.hpp"
#include "actors/registry_client.hpp"
#include "net/server_counters.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace herald::net {

class monitor_feed {
public:
  monitor_feed(registry_client& registry, queue_client* queue, const server_counters& counters,
               std::chrono::milliseconds every = std::chrono::seconds(1));
  ~monitor_feed();
  void stop();

private:
  void loop();
  void publish_once();

  registry_client& registry_;
  queue_client* queue_;
  const server_counters& counters_;
  std::chrono::milliseconds every_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace herald::net
