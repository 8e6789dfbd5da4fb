#pragma once
// How the facades (registry_client, queue_client) ask an actor from outside
// the actor system: one short-lived actor per request waits for the reply
// without blocking any thread and calls `done` with the answer, or with
// nothing on error or after `timeout`.
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <functional>
#include <optional>

namespace herald {

template <class R, class Handle, class... Ts>
void ask(caf::actor_system& sys, Handle target, std::chrono::milliseconds timeout,
         std::function<void(std::optional<R>)> done, Ts... xs) {
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(target, timeout, xs...)
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

} // namespace herald
