#pragma once
// The guard of a long-lived actor's handlers (registry, queue, DLQ, inbox).
// CAF ends an actor whose handler throws, and with it the state it alone
// owns (every session's roster entry, every job lease). A guarded handler
// ends only the message it came with: the error is logged, counted on the
// actor's meter (failures, last_error: /api/v1/actors) and, for a request,
// answered as an error, and the actor takes its next message.
//
//   return {guarded(self, [=](list_atom, uint64_t n) -> caf::result<jobs> { … }), …};
//   self->request(…).then(guarded(self, [=](T& answer) { … }), guarded(self, [=](caf::error&) { … }));
//
// A handler that answers returns caf::result<T> or a typed_response_promise
// (never a bare T: there is no T to answer with after a failure).
#include "actors/exception_text.hpp"
#include "config/contain.hpp"

#include <caf/make_message.hpp>
#include <caf/result.hpp>
#include <caf/sec.hpp>
#include <caf/typed_response_promise.hpp>

#include <exception>
#include <string>
#include <utility>

namespace herald {

namespace detail {

template <class R>
struct failed_answer;

template <>
struct failed_answer<void> {
  template <class Self>
  static void make(Self*, const std::string&) {}
};

template <class... Ts>
struct failed_answer<caf::result<Ts...>> {
  template <class Self>
  static caf::result<Ts...> make(Self*, const std::string& why) {
    return caf::make_error(caf::sec::runtime_error, why);
  }
};

template <class... Ts>
struct failed_answer<caf::typed_response_promise<Ts...>> {
  template <class Self>
  static caf::typed_response_promise<Ts...> make(Self* self, const std::string& why) {
    auto promise = self->template make_response_promise<Ts...>();
    promise.deliver(caf::make_error(caf::sec::runtime_error, why));
    return promise;
  }
};

template <class Self>
std::string note_failure(Self* self, std::exception_ptr eptr) {
  auto why = exception_text(eptr);
  auto& meter = self->state.meter;
  ++meter.failures;
  meter.last_error = why;
  ++contained_failures();
  log::error(self->state.name, "handler failed, message dropped, actor goes on: " + why);
  return why;
}

// The wrapper is mutable so that it serves both kinds of handler: a const
// one ([=]) and a mutable one (response handlers that move their captures).
template <class Self, class F, class R, class C, class... Ts>
auto guard_with(Self* self, F f, R (C::*)(Ts...)) {
  return [self, f](Ts... xs) mutable -> R {
    try {
      return f(std::forward<Ts>(xs)...);
    } catch (...) {
      return failed_answer<R>::make(self, note_failure(self, std::current_exception()));
    }
  };
}

template <class Self, class F, class R, class C, class... Ts>
auto guard_with(Self* self, F f, R (C::*)(Ts...) const) {
  return guard_with(self, std::move(f), static_cast<R (C::*)(Ts...)>(nullptr));
}

} // namespace detail

template <class Self, class F>
auto guarded(Self* self, F f) {
  return detail::guard_with(self, std::move(f), &F::operator());
}

} // namespace herald
