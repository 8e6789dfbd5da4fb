#pragma once
// What one Herald node shares with the others through Redis (storage.backend
// = "redis"), all through the shared redis_manager and never blocking:
//
// - the bus: every publish goes to channel `{prefix}bus` with its already
//   encoded event, so other nodes deliver the same bytes to their sessions;
// - presence: hash `{prefix}presence:{user}`, one field per node holding
//   "<live sockets>:<last seen ms>"; a field counts only while its node's key
//   `{prefix}node:{id}` exists, so a dead node's sessions vanish within node_ttl;
// - channel presence (cluster_channels.cpp);
// - node stats: hash `{prefix}node:{id}` refreshed every node_ttl/3 with
//   expiry node_ttl, listed in set `{prefix}nodes`.
#include "persistence/history.hpp"
#include "persistence/inbox_pos.hpp"
#include "persistence/redis_manager.hpp"

#include <map>
#include <optional>

namespace herald::persistence {

struct bus_message {
  std::string origin; // node id of the publisher
  char target = 'b';  // 'u' user, 'c' channel, 'b' broadcast
  std::string name;   // user or channel
  std::string event_id;
  std::string tail;         // the encoded event frame after its seq; control: the whole frame
  inbox_pos pos;            // where the origin stored it (user events), else empty
  history_position history; // its place in the channel's history (offset 0: none)
  bool control = false;     // a frame that is no event (join, leave): sent as it is
  // A control API command for the user's sessions (target 'u'; no event):
  // "sub", "unsub", "read" or "disc", its argument and close code.
  std::string command{};
  std::string command_arg{};
  uint16_t command_code = 0;

  std::string encode() const;
  static std::optional<bus_message> decode(const std::string& payload);
};

struct cluster_presence {
  uint64_t sessions = 0;     // live sockets on other nodes
  int64_t last_seen_ms = -1; // newest last seen on other nodes; -1: never
};

using node_stats = std::map<std::string, int64_t>;

class cluster_link {
public:
  cluster_link(redis_manager& redis, std::string key_prefix, std::string node_id,
               std::chrono::milliseconds node_ttl, std::chrono::milliseconds presence_retain);

  const std::string& node_id() const { return node_id_; }
  std::chrono::milliseconds node_ttl() const { return node_ttl_; }
  bool redis_up() const { return redis_.up(); }
  int64_t redis_latency_us() const { return redis_.latency_us(); }

  // Before the manager starts: bus messages from other nodes go to `fn`
  // (on the subscriber thread).
  void on_bus_message(std::function<void(bus_message)> fn);
  // Before the manager starts: `fn` runs whenever Redis (re)connects.
  void on_connected(std::function<void()> fn) { redis_.on_connected(std::move(fn)); }

  // Sends to every other node; `done` gets how many received it (or nothing on failure).
  void publish(const bus_message& msg, std::function<void(std::optional<uint64_t>)> done);
  void set_presence(const std::string& user, uint64_t sessions, int64_t last_seen_ms);
  void presence(const std::string& user, std::function<void(std::optional<cluster_presence>)> done);
  // This node's sessions of `user` in `channel` (cluster_channels.cpp);
  // `done` (may be empty) gets the user's sessions there on other live nodes.
  void set_channel_presence(const std::string& channel, const std::string& user, uint64_t sessions,
                            std::function<void(std::optional<uint64_t>)> done);
  // Each user's sessions in `channel` on the other live nodes.
  void channel_presence(
      const std::string& channel,
      std::function<void(std::optional<std::vector<std::pair<std::string, uint64_t>>>)> done);
  void report(const node_stats& stats);
  // Sums of every live node's stats (this one included) and how many nodes there are.
  void totals(std::function<void(std::optional<std::pair<uint64_t, node_stats>>)> done);
  // At clean shutdown: this node's key goes, so its presence stops counting at once.
  void leave();

private:
  std::string key(const std::string& rest) const { return prefix_ + rest; }

  redis_manager& redis_;
  std::string prefix_;
  std::string node_id_;
  std::chrono::milliseconds node_ttl_;
  std::chrono::milliseconds presence_retain_;
};

} // namespace herald::persistence
