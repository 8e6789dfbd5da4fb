#pragma once
// Writes this node's counters to Redis every node_ttl/3 (cluster_link::report),
// so /stats on any node can show the cluster and a dead node drops out.
// Its own thread: it waits for the registry's answer without blocking anyone.
#include "actors/registry_client.hpp"
#include "net/server_counters.hpp"
#include "persistence/cluster_link.hpp"

#include "net/periodic_thread.hpp"

namespace herald::net {

class node_reporter {
public:
  node_reporter(registry_client& registry, const server_counters& counters,
                persistence::cluster_link& cluster);
  void stop() { thread_.stop(); }

private:
  void report_once();

  registry_client& registry_;
  const server_counters& counters_;
  persistence::cluster_link& cluster_;
  periodic_thread thread_; // last: it starts reporting at once
};

} // namespace herald::net
