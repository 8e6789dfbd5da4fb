#pragma once
// Running blocking store work for an actor without blocking it: the work
// runs on the store worker's thread, and what to do with the result comes
// back to the actor as a message carrying a closure, which the actor runs
// in its own handler (so it may touch its state and deliver promises).
// An actor that uses this lists `caf::reacts_to<continue_atom, continuation>`
// in its interface and runs the closure there.
#include "actors/atoms.hpp"
#include "persistence/store_worker.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/send.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace herald {

using continuation = std::function<void()>;

// Runs `work(store)` (returning a value) on the store thread; then, inside
// the actor `self`, `then(value)` on success or `fail(reason)` on failure.
template <class Self, class Work, class Then, class Fail>
void store_call(Self* self, persistence::store_worker& worker, Work work, Then then, Fail fail) {
  using result_type = decltype(work(std::declval<persistence::store&>()));
  auto result = std::make_shared<std::optional<result_type>>();
  auto me = caf::actor_cast<caf::actor>(self);
  bool posted =
      worker.post({[result, work](persistence::store& s) { result->emplace(work(s)); },
                   [me, result, then, fail](bool ok, const std::string& error) {
                     caf::anon_send(me, continue_atom::value,
                                    continuation([result, then, fail, ok, error]() mutable {
                                      if (ok && *result)
                                        then(std::move(**result));
                                      else
                                        fail(ok ? std::string("no result") : error);
                                    }));
                   }});
  if (!posted)
    fail("the store's queue is full (storage.queue_max)");
}

} // namespace herald

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(herald::continuation)
