#include "actors/registry_client.hpp"

#include "actors/inbox.hpp"
#include "actors/registry.hpp"
#include "persistence/store_worker.hpp"

#include <caf/all.hpp>

namespace herald {

namespace {
constexpr auto request_timeout = std::chrono::seconds(10);
}

struct registry_client::impl {
  caf::actor_system& sys;
  std::shared_ptr<persistence::store_worker> store;
  inbox_actor inbox;
  registry_actor registry;

  // One short-lived actor per request: it waits for the reply without
  // blocking any thread and calls `done` with the answer or nothing.
  template <class R, class... Ts>
  void ask(std::function<void(std::optional<R>)> done, Ts... xs) {
    auto target = registry;
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(target, request_timeout, xs...)
          .then(
              [=](R& r) {
                done(std::move(r));
                self->quit();
              },
              [=](caf::error&) {
                done(std::nullopt);
                self->quit();
              });
    });
  }
};

registry_client::registry_client(caf::actor_system& sys, registry_limits limits,
                                 std::shared_ptr<persistence::store_worker> store)
    : impl_(new impl{sys, store, store ? spawn_inbox(sys, store) : inbox_actor{}, {}}) {
  impl_->registry = spawn_registry(sys, std::move(limits), impl_->inbox);
}

registry_client::~registry_client() = default;

void registry_client::connect(connect_request req) {
  caf::anon_send(impl_->registry, connect_atom::value, std::move(req));
}

void registry_client::publish(publish_request req,
                              std::function<void(std::optional<publish_outcome>)> done) {
  req.reply = std::make_shared<publish_reply>(std::move(done));
  caf::anon_send(impl_->registry, publish_atom::value, std::move(req));
}

void registry_client::stats(std::function<void(std::optional<registry_stats>)> done) {
  impl_->ask<registry_stats>(std::move(done), stats_atom::value);
}

void registry_client::presence(std::string user,
                               std::function<void(std::optional<presence_info>)> done) {
  impl_->ask<presence_info>(std::move(done), presence_atom::value, std::move(user));
}

void registry_client::shutdown() { caf::anon_send(impl_->registry, shutdown_atom::value); }

const char* registry_client::storage_backend() const {
  return impl_->store ? impl_->store->backend() : "none";
}

bool registry_client::storage_healthy() const { return !impl_->store || impl_->store->healthy(); }

void registry_client::stop() {
  caf::anon_send_exit(impl_->registry, caf::exit_reason::user_shutdown);
  if (impl_->inbox)
    caf::anon_send_exit(impl_->inbox, caf::exit_reason::user_shutdown);
}

} // namespace herald
