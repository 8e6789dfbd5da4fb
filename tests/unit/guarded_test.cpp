// A guarded handler's exception ends its message, not the actor: the state
// survives, a request is answered with an error, the meter counts it.
#include "actors/actor_info.hpp"
#include "actors/guarded.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <stdexcept>
#include <variant>

using namespace herald;

namespace {

using add_atom = caf::atom_constant<caf::atom("t_add")>;
using get_atom = caf::atom_constant<caf::atom("t_get")>;

struct counter_state {
  static inline const char* name = "counter";
  int64_t total = 0;
  actor_meter meter;
};

caf::behavior counter(caf::stateful_actor<counter_state>* self) {
  return {
      guarded(self,
              [=](add_atom, int64_t n) -> caf::result<int64_t> {
                if (n < 0)
                  throw std::invalid_argument("negative");
                self->state.total += n;
                return self->state.total;
              }),
      guarded(
          self,
          [=](get_atom) -> caf::result<int64_t, uint64_t, std::string> {
            return {self->state.total, self->state.meter.failures, self->state.meter.last_error};
          }),
  };
}

} // namespace

TEST_CASE("a guarded handler that throws answers an error and the actor keeps its state") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto c = sys.spawn(counter);
  auto add = [&](int64_t n) -> std::variant<int64_t, caf::error> {
    std::variant<int64_t, caf::error> out;
    self->request(c, caf::infinite, add_atom::value, n)
        .receive([&](int64_t total) { out = total; }, [&](caf::error& e) { out = e; });
    return out;
  };
  CHECK(std::get<int64_t>(add(5)) == 5);
  auto failed = add(-1);
  REQUIRE(std::holds_alternative<caf::error>(failed));
  CHECK(std::get<caf::error>(failed) == caf::sec::runtime_error);
  CHECK(std::get<int64_t>(add(2)) == 7);
  self->request(c, caf::infinite, get_atom::value)
      .receive(
          [&](int64_t total, uint64_t failures, std::string& last_error) {
            CHECK(total == 7);
            CHECK(failures == 1);
            CHECK(last_error == "negative");
          },
          [&](caf::error& e) { FAIL("no state: " << caf::to_string(e)); });
  self->send_exit(c, caf::exit_reason::user_shutdown);
}
