#include "actors/info_collect.hpp"

#include "actors/atoms.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace herald {

namespace {
// One deadline for the whole round instead of a timer per request: a round
// can ask tens of thousands of sessions (the console's busiest sessions).
constexpr auto answer_within = std::chrono::seconds(1);

struct round_state {
  std::vector<std::optional<actor_info>> slots;
  size_t left = 0;
  bool delivered = false;
  std::function<void(std::vector<actor_info>)> done;

  void deliver() {
    if (delivered)
      return;
    delivered = true;
    std::vector<actor_info> out;
    out.reserve(slots.size());
    for (auto& s : slots)
      if (s)
        out.push_back(std::move(*s));
    done(std::move(out));
  }
};
} // namespace

void collect_info(caf::actor_system& sys, std::vector<caf::actor> targets,
                  std::function<void(std::vector<actor_info>)> done) {
  if (targets.empty())
    return done({});
  sys.spawn([targets = std::move(targets),
             done = std::move(done)](caf::event_based_actor* self) -> caf::behavior {
    auto round = std::make_shared<round_state>();
    round->slots.resize(targets.size());
    round->left = targets.size();
    round->done = done;
    auto answered = [self, round] {
      if (--round->left > 0)
        return;
      round->deliver();
      self->quit();
    };
    for (size_t i = 0; i < targets.size(); ++i)
      self->request(targets[i], caf::infinite, info_atom::value)
          .then(
              [round, i, answered](actor_info& info) {
                round->slots[i] = std::move(info);
                answered();
              },
              [answered](caf::error&) { answered(); });
    self->delayed_send(self, answer_within, tick_atom::value);
    return {[self, round](tick_atom) {
      round->deliver(); // those that answered in time
      self->quit();
    }};
  });
}

} // namespace herald
