#pragma once
// Spawning a notifier (see notifier_protocol.hpp). Only the queue actor does this.
#include "actors/notifier_protocol.hpp"
#include "actors/webpush.hpp"
#include "config/config.hpp"
#include "persistence/store_worker.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <memory>

namespace herald {

struct notifier_init {
  config::sink_config sink;
  std::shared_ptr<http_port> http;
  caf::actor queue;      // the supervisor, told of every outcome (queue_protocol.hpp)
  uint64_t restarts = 0; // how often this sink's notifier was restarted before
  // Where the breaker is saved, or the limits shared (none: kept in the process only).
  std::shared_ptr<persistence::store_worker> store;
  std::shared_ptr<const vapid_key> vapid; // a webpush sink's key
};

notifier_actor spawn_notifier(caf::local_actor* parent, notifier_init init);

// What a sink's answer means for the job (exposed for tests).
job_outcome classify(const config::sink_config& sink, const http_response& r);
// The request a job becomes for its sink (exposed for tests).
// `now_s`: Unix seconds, for a signed webhook's timestamp.
http_request request_for(const config::sink_config& sink, const persistence::job& j,
                         int64_t now_s = 0);

} // namespace herald
