#pragma once
// How code outside the actor system (net/'s Asio threads) talks to the
// registry: every call is asynchronous and never blocks the caller; replies
// arrive on a CAF thread through the callback (empty optional on failure or
// timeout), so the callback must hop back to its own executor. No CAF here.
#include "actors/actor_info.hpp"
#include "actors/history_messages.hpp"
#include "actors/registry_types.hpp"
#include "actors/session_command.hpp"

#include <functional>
#include <map>
#include <memory>

namespace caf {
class actor_system;
}

namespace herald {
namespace persistence {
class store;
class store_worker;
class cluster_link;
} // namespace persistence

// The registry, the inbox and a page of sessions, for /api/v1/actors.
struct actors_page {
  uint64_t total_sessions = 0; // matching the filter
  uint64_t scanned = 0;        // sessions ordered (fewer than total when scan_max cut them)
  std::vector<actor_info> actors;
};

// The cluster's view next to this node's, for /stats.
struct cluster_totals {
  uint64_t nodes = 0;
  std::map<std::string, int64_t> sums; // each node's reported counters, summed
};

class registry_client {
public:
  // Spawns the registry actor in `sys` and, given a store worker, the inbox
  // actor that keeps users' events in it.
  // With a cluster link, publishes also go to the other nodes and theirs
  // come in; presence counts every node.
  registry_client(caf::actor_system& sys, registry_limits limits,
                  std::shared_ptr<persistence::store_worker> store = nullptr,
                  std::shared_ptr<persistence::cluster_link> cluster = nullptr);
  ~registry_client();

  void connect(connect_request req);
  using publish_done = std::function<void(std::optional<publish_outcome>)>;
  void publish(publish_request req, publish_done done);
  // Publishes in order; the user events of the batch are stored in one
  // transaction. done[i] answers batch[i].
  void publish_batch(std::vector<publish_request> batch, std::vector<publish_done> done);
  void stats(std::function<void(std::optional<registry_stats>)> done);
  // How many sessions are in `channel` on this node.
  void members(std::string channel, std::function<void(std::optional<uint64_t>)> done);
  // Whether the store's last write worked (on Redis: whether Redis is up).
  bool storage_healthy() const;
  // "disabled" (no Redis), "ok" or "down".
  const char* redis_state() const;
  int64_t redis_latency_us() const; // -1 when unknown or down
  std::string node_id() const;      // empty without a cluster
  void totals(std::function<void(std::optional<cluster_totals>)> done);
  // The registry, inbox and history actors, then the page of sessions `q` asks for.
  void actors(session_query q, std::function<void(std::optional<actors_page>)> done);
  void presence(std::string user, std::function<void(std::optional<presence_info>)> done);
  // What [[channels]] says about a channel.
  const channel_options& channel(const std::string& name) const;
  // A channel's kept events after offset `since` (at most `limit`), read on
  // the store thread; the callback runs there (empty: the store failed).
  void history(std::string channel, uint64_t since, size_t limit,
               std::function<void(std::optional<persistence::history_page>)> done);
  // A channel's users and their live sessions on every node (Redis down:
  // this node's only).
  void channel_presence(std::string channel,
                        std::function<void(std::optional<channel_members>)> done);
  // The history actor's counters (all zero when no channel keeps history).
  void history_stats(std::function<void(std::optional<herald::history_stats>)> done);
  // The control API: `command` for every session of `user` on this node and,
  // with Redis, on every other (through the bus); `done` gets this node's count.
  void command(std::string user, session_command command,
               std::function<void(std::optional<uint64_t>)> done);
  // This node's channels by name: those starting with `prefix`, after `after`, at most `limit`.
  void channels(std::string prefix, std::string after, uint64_t limit,
                std::function<void(std::optional<channel_page>)> done);
  // Runs `work` on the store thread, then `done` (there) with whether it
  // worked; false at once, with nothing run, when there is no store or its
  // queue is full. For the API's reads and writes that need no actor.
  bool with_store(std::function<void(persistence::store&)> work, std::function<void(bool)> done);
  // Closes every session with 1001.
  void shutdown();
  // Stops the registry and inbox actors (after shutdown(); sessions left are
  // killed; coalesced inbox cursors are written first).
  void stop();

private:
  void answer_after_bus(publish_request& req, publish_done done);
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace herald
