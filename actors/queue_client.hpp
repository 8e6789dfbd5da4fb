#pragma once
// How net/ (no CAF) talks to the queue and DLQ actors: every call is
// asynchronous; callbacks run on a CAF thread (empty optional: no answer).
#include "actors/actor_info.hpp"
#include "actors/http_port.hpp"
#include "config/config.hpp"
#include "persistence/job.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace caf {
class actor_system;
}

namespace herald {
namespace persistence {
class store_worker;
}
struct notify_result;
class vapid_key;
struct queue_stats;

class queue_client {
public:
  // Spawns the DLQ, the queue and one notifier per sink. `alert(event,
  // data_json)` publishes an event to channel "admin".
  // `vapid_keys`: each webpush sink's key (load_vapid_keys).
  queue_client(caf::actor_system& sys, const config::herald_config& cfg,
               std::shared_ptr<persistence::store_worker> store, std::shared_ptr<http_port> http,
               std::function<void(const std::string&, const std::string&)> alert,
               std::map<std::string, std::shared_ptr<const vapid_key>> vapid_keys = {});
  ~queue_client();

  void notify(persistence::job j, bool require_opt_in,
              std::function<void(std::optional<notify_result>)> done);
  void optin(std::string sink, std::string to, bool on,
             std::function<void(std::optional<bool>)> done);
  void stats(std::function<void(std::optional<queue_stats>)> done);
  // Newest first: at most `limit` after skipping `offset`.
  void dlq_list(uint64_t limit, uint64_t offset,
                std::function<void(std::optional<std::vector<persistence::job>>)> done);
  void dlq_retry(std::string id, std::function<void(std::optional<bool>)> done);
  void dlq_delete(std::string id, std::function<void(std::optional<bool>)> done);
  // The queue, its notifiers and the DLQ, for /api/v1/actors.
  void actors(std::function<void(std::vector<actor_info>)> done);
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Reads every webpush sink's vapid_private_key_file; throws
// std::invalid_argument naming the key when one cannot be used.
std::map<std::string, std::shared_ptr<const vapid_key>>
load_vapid_keys(const config::herald_config& cfg);

} // namespace herald
