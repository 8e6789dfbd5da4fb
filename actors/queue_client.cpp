#include "actors/queue_client.hpp"

#include "actors/ask.hpp"
#include "actors/info_collect.hpp"
#include "actors/queue.hpp"
#include "actors/webpush.hpp"

#include <caf/all.hpp>

#include <fstream>
#include <stdexcept>

namespace herald {

namespace {
constexpr auto request_timeout = std::chrono::milliseconds(15000);

} // namespace

struct queue_client::impl {
  caf::actor_system& sys;
  dlq_actor dlq;
  queue_actor queue;
};

queue_client::queue_client(caf::actor_system& sys, const config::herald_config& cfg,
                           std::shared_ptr<persistence::store_worker> store,
                           std::shared_ptr<http_port> http,
                           std::function<void(const std::string&, const std::string&)> alert,
                           std::map<std::string, std::shared_ptr<const vapid_key>> vapid_keys)
    : impl_(new impl{sys, spawn_dlq(sys, store, std::move(alert)), {}}) {
  queue_init init;
  init.limits = cfg.queue;
  init.sinks = cfg.sinks;
  init.store = std::move(store);
  init.http = std::move(http);
  init.dlq = impl_->dlq;
  init.vapid_keys = std::move(vapid_keys);
  impl_->queue = spawn_queue(sys, std::move(init));
  set_dlq_queue(impl_->dlq, impl_->queue);
}

queue_client::~queue_client() = default;

void queue_client::notify(persistence::job j, bool require_opt_in,
                          std::function<void(std::optional<notify_result>)> done) {
  ask<notify_result>(impl_->sys, impl_->queue, request_timeout, std::move(done), notify_atom::value,
                     std::move(j), require_opt_in);
}

void queue_client::optin(std::string sink, std::string to, bool on,
                         std::function<void(std::optional<bool>)> done) {
  ask<bool>(impl_->sys, impl_->queue, request_timeout, std::move(done), optin_atom::value,
            std::move(sink), std::move(to), on);
}

void queue_client::stats(std::function<void(std::optional<queue_stats>)> done) {
  ask<queue_stats>(impl_->sys, impl_->queue, request_timeout, std::move(done), stats_atom::value);
}

void queue_client::dlq_list(
    uint64_t limit, uint64_t offset,
    std::function<void(std::optional<std::vector<persistence::job>>)> done) {
  ask<std::vector<persistence::job>>(impl_->sys, impl_->dlq, request_timeout, std::move(done),
                                     list_atom::value, limit, offset);
}

void queue_client::dlq_retry(std::string id, std::function<void(std::optional<bool>)> done) {
  ask<bool>(impl_->sys, impl_->dlq, request_timeout, std::move(done), retry_atom::value,
            std::move(id));
}

void queue_client::dlq_delete(std::string id, std::function<void(std::optional<bool>)> done) {
  ask<bool>(impl_->sys, impl_->dlq, request_timeout, std::move(done), delete_atom::value,
            std::move(id));
}

void queue_client::actors(std::function<void(std::vector<actor_info>)> done) {
  auto& sys = impl_->sys;
  auto queue = impl_->queue;
  auto dlq = impl_->dlq;
  sys.spawn([&sys, queue, dlq, done](caf::event_based_actor* self) {
    self->request(queue, std::chrono::seconds(2), actors_atom::value)
        .then(
            [&sys, self, queue, dlq, done](std::vector<notifier_actor>& notifiers) {
              std::vector<caf::actor> targets{caf::actor_cast<caf::actor>(queue)};
              for (auto& n : notifiers)
                targets.push_back(caf::actor_cast<caf::actor>(n));
              targets.push_back(caf::actor_cast<caf::actor>(dlq));
              collect_info(sys, std::move(targets), done);
              self->quit();
            },
            [&sys, self, dlq, done](caf::error&) {
              collect_info(sys, {caf::actor_cast<caf::actor>(dlq)}, done);
              self->quit();
            });
  });
}

void queue_client::stop() {
  caf::anon_send_exit(impl_->queue, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->dlq, caf::exit_reason::user_shutdown);
}

std::map<std::string, std::shared_ptr<const vapid_key>>
load_vapid_keys(const config::herald_config& cfg) {
  std::map<std::string, std::shared_ptr<const vapid_key>> out;
  for (size_t i = 0; i < cfg.sinks.size(); ++i) {
    auto& s = cfg.sinks[i];
    if (s.kind != "webpush")
      continue;
    auto key = "sinks[" + std::to_string(i) + "].vapid_private_key_file";
    std::ifstream in(s.vapid_private_key_file);
    if (!in)
      throw std::invalid_argument(key + ": cannot read " + s.vapid_private_key_file);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string error;
    auto vapid = vapid_key::from_pem(pem, error);
    if (!vapid)
      throw std::invalid_argument(key + ": " + error);
    out[s.name] = std::move(vapid);
  }
  return out;
}

} // namespace herald
