#pragma once
// Spawning the queue and DLQ actors (see queue_protocol.hpp, dlq_protocol.hpp).
#include "actors/dlq_protocol.hpp"
#include "actors/notifier.hpp"
#include "actors/queue_protocol.hpp"

#include <caf/fwd.hpp>

#include <functional>
#include <map>
#include <memory>

namespace herald {

struct queue_init {
  config::queue_section limits;
  std::vector<config::sink_config> sinks;
  std::shared_ptr<persistence::store_worker> store;
  std::shared_ptr<http_port> http;
  dlq_actor dlq;
  std::map<std::string, std::shared_ptr<const vapid_key>> vapid_keys; // webpush sink → its key
  // How notifiers are made; tests put in one that fails on purpose.
  std::function<notifier_actor(caf::local_actor*, notifier_init)> spawn_notifier =
      herald::spawn_notifier;
};

queue_actor spawn_queue(caf::actor_system& sys, queue_init init);

// `alert(event, data_json)` publishes to channel "admin".
dlq_actor spawn_dlq(caf::actor_system& sys, std::shared_ptr<persistence::store_worker> store,
                    std::function<void(const std::string&, const std::string&)> alert);
// The DLQ tells the queue when a retried job is due again.
void set_dlq_queue(dlq_actor dlq, queue_actor queue);

} // namespace herald
