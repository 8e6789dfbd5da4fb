#pragma once
// The console's live feed. Once a second it measures the node (connections,
// deliveries/s, publish-to-write p50/p99, the queue, health) into the
// series of the last five minutes; when a console watches, it also
// publishes a snapshot (that point, the actor tree with the top sessions,
// the queue, channel history) as event "snapshot" on channel
// herald.monitor, which console tokens may join. Its own thread gathers the
// answers; nothing else waits for it.
#include "actors/queue_client.hpp"
#include "actors/registry_client.hpp"
#include "net/monitor_series.hpp"
#include "net/periodic_thread.hpp"
#include "net/server_counters.hpp"
#include "runtime/latency_histogram.hpp"

#include <nlohmann/json.hpp>

namespace herald::net {

class monitor_feed {
public:
  // The sessions the snapshot's tree shows under the registry: the busiest
  // by queued frames, then mailbox, among the first `scan_sessions`.
  static constexpr uint64_t top_sessions = 20;
  // While no console watches, the queue's counts are taken every this many seconds.
  static constexpr uint64_t unwatched_queue_every = 5;

  monitor_feed(registry_client& registry, queue_client* queue, const server_counters& counters,
               monitor_series& series, uint64_t scan_sessions,
               std::chrono::milliseconds every = std::chrono::seconds(1));
  void stop() { thread_.stop(); }

private:
  void tick();
  nlohmann::json measure(const std::optional<registry_stats>& stats,
                         const std::optional<queue_stats>& queue);
  void publish_snapshot(nlohmann::json point, const std::optional<registry_stats>& stats,
                        const std::optional<queue_stats>& queue);

  registry_client& registry_;
  queue_client* queue_;
  const server_counters& counters_;
  monitor_series& series_;
  uint64_t scan_sessions_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  // The previous measure, for per-second rates and the latency window.
  std::chrono::steady_clock::time_point last_at_ = started_;
  uint64_t last_messages_ = 0;
  uint64_t last_failed_ = 0;
  std::chrono::steady_clock::time_point last_queue_at_ = started_;
  uint64_t ticks_ = 0;
  latency_histogram::snapshot last_latency_ = publish_to_write().read();
  periodic_thread thread_; // last: it starts at once
};

} // namespace herald::net
