#pragma once
// Dispatch of a compact actor's messages by its typed interface: what CAF's
// typed behavior checks, for an actor without a behavior. Each signature of
// `Handle` (a caf::typed_actor) must be callable on the handler object with
// the message's elements, or the build fails naming the message; a
// `replies_to<…>::with<T>` handler must return something convertible to T.
//
//   struct handlers { void operator()(ping_atom, int); bool operator()(ask_atom); };
//   if (!dispatch<my_actor>(x.content(), handlers{…}, [&](auto&& r) { reply(x, r); }))
//     unexpected(x);
//
// Signatures are tried in their order; one whose first element is an atom is
// skipped on a single compare when the message starts with another atom.
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_erased_tuple.hpp>

#include <type_traits>
#include <utility>

namespace herald {

namespace detail {

template <class T> struct is_atom_constant : std::false_type {};
template <caf::atom_value V> struct is_atom_constant<caf::atom_constant<V>> : std::true_type {};

// An atom is passed as its constant (the handler overloads on it); any other
// element by mutable reference, so a handler may move it out.
template <class T> decltype(auto) element(caf::type_erased_tuple& c, size_t i) {
  if constexpr (is_atom_constant<T>::value)
    return T{};
  else
    return c.get_mutable_as<T>(i);
}

template <class... Is> bool leading_atom_differs(bool has_atom, caf::atom_value atom) {
  if constexpr (sizeof...(Is) > 0) {
    using first = std::tuple_element_t<0, std::tuple<Is...>>;
    if constexpr (is_atom_constant<first>::value)
      return !has_atom || atom != first::value;
  }
  return false;
}

template <class Out> struct single_output;
template <class O> struct single_output<caf::output_tuple<O>> {
  using type = O;
};

template <class... Is, class Out, class Handler, class Reply, size_t... N>
bool try_signature(caf::typed_mpi<caf::detail::type_list<Is...>, Out>*, std::index_sequence<N...>,
                   caf::type_erased_tuple& c, bool has_atom, caf::atom_value atom, Handler& h,
                   Reply& reply) {
  static_assert(std::is_invocable_v<Handler&, decltype(element<Is>(c, 0))...>,
                "the typed interface has a message this actor's handlers do not take");
  if (leading_atom_differs<Is...>(has_atom, atom) || !c.match_elements<Is...>())
    return false;
  using output = typename single_output<Out>::type;
  if constexpr (std::is_void_v<output>) {
    h(element<Is>(c, N)...);
  } else {
    using result = std::invoke_result_t<Handler&, decltype(element<Is>(c, 0))...>;
    static_assert(std::is_convertible_v<result, output>,
                  "a handler returns something other than its message's reply type");
    reply(output(h(element<Is>(c, N)...)));
  }
  return true;
}

template <class Sig> struct input_count;
template <class... Is, class Out>
struct input_count<caf::typed_mpi<caf::detail::type_list<Is...>, Out>> {
  static constexpr size_t value = sizeof...(Is);
};

template <class Sig> constexpr auto input_indices() {
  return std::make_index_sequence<input_count<Sig>::value>{};
}

template <class... Sigs, class Handler, class Reply>
bool try_all(caf::detail::type_list<Sigs...>, caf::type_erased_tuple& c, Handler& h, Reply& reply) {
  bool has_atom = !c.empty() && c.match_element<caf::atom_value>(0);
  auto atom = has_atom ? c.get_as<caf::atom_value>(0) : caf::atom_value{};
  return (try_signature(static_cast<Sigs*>(nullptr), input_indices<Sigs>(), c, has_atom, atom, h,
                        reply) ||
          ...);
}

} // namespace detail

// Calls `handlers` for the first signature of `Handle` that `content`
// matches; `reply(value)` answers a request. False: no signature matched.
template <class Handle, class Handlers, class Reply>
bool dispatch(caf::type_erased_tuple& content, Handlers&& handlers, Reply&& reply) {
  return detail::try_all(typename Handle::signatures{}, content, handlers, reply);
}

} // namespace herald
