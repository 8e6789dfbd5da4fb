#pragma once
// The guard of a long-lived actor's handlers (registry, queue, DLQ, inbox).
// CAF ends an actor whose handler throws, and with it the state it alone
// owns (every session's roster entry, every job lease). A guarded handler
// ends only the message it came with: the error is logged, counted on the
// actor's meter (failures, last_error: /api/v1/actors) and, for a request,
// answered as an error, and the actor takes its next message. Every guarded
// handler also counts its message on the meter (see metered() below).
//
//   return {guarded(self, [=](list_atom, uint64_t n) -> caf::result<jobs> { … }), …};
//   self->request(…).then(guarded(self, [=](T& answer) { … }), guarded(self, [=](caf::error&) { …
//   }));
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
#include <type_traits>
#include <utility>

namespace herald {

namespace detail {

template <class R> struct failed_answer;

template <> struct failed_answer<void> {
  template <class Self> static void make(Self*, const std::string&) {}
};

template <class... Ts> struct failed_answer<caf::result<Ts...>> {
  template <class Self> static caf::result<Ts...> make(Self*, const std::string& why) {
    return caf::make_error(caf::sec::runtime_error, why);
  }
};

template <class... Ts> struct failed_answer<caf::typed_response_promise<Ts...>> {
  template <class Self>
  static caf::typed_response_promise<Ts...> make(Self* self, const std::string& why) {
    auto promise = self->template make_response_promise<Ts...>();
    promise.deliver(caf::make_error(caf::sec::runtime_error, why));
    return promise;
  }
};

template <class Self> std::string note_failure(Self* self, std::exception_ptr eptr) {
  auto why = exception_text(eptr);
  auto& meter = self->state.meter;
  ++meter.failures;
  meter.last_error = why;
  ++contained_failures();
  log::error(self->state.name, "handler failed, message dropped, actor goes on: " + why);
  return why;
}

// Gives `wrap(f, args…)` the exact signature of `f`'s call operator, as
// CAF needs to see which message a handler takes. The result is mutable so
// that it serves both kinds of handler: a const one ([=]) and a mutable one
// (response handlers that move their captures).
template <class F, class Wrap, class R, class C, class... Ts>
auto with_signature(F f, Wrap wrap, R (C::*)(Ts...)) {
  return [f, wrap](Ts... xs) mutable -> R { return wrap(f, std::forward<Ts>(xs)...); };
}

template <class F, class Wrap, class R, class C, class... Ts>
auto with_signature(F f, Wrap wrap, R (C::*)(Ts...) const) {
  return with_signature(std::move(f), std::move(wrap), static_cast<R (C::*)(Ts...)>(nullptr));
}

template <class F, class Wrap> auto with_signature_of(F f, Wrap wrap) {
  return with_signature(std::move(f), std::move(wrap), &F::operator());
}

} // namespace detail

// Counts the message on the actor's meter (processed: /api/v1/actors, the
// console), then runs the handler.
template <class Self, class F> auto metered(Self* self, F f) {
  return detail::with_signature_of(std::move(f), [self](auto& fn, auto&&... xs) -> decltype(auto) {
    ++self->state.meter.processed;
    return fn(std::forward<decltype(xs)>(xs)...);
  });
}

// Counts the message like metered(), and contains a failure (see above).
template <class Self, class F> auto guarded(Self* self, F f) {
  return detail::with_signature_of(std::move(f), [self](auto& fn, auto&&... xs) {
    using result = std::invoke_result_t<decltype(fn)&, decltype(xs)...>;
    ++self->state.meter.processed;
    try {
      return fn(std::forward<decltype(xs)>(xs)...);
    } catch (...) {
      return detail::failed_answer<result>::make(
          self, detail::note_failure(self, std::current_exception()));
    }
  });
}

} // namespace herald
