#include "actors/info_collect.hpp"

#include "actors/actor_info_messages.hpp"
#include "actors/atoms.hpp"

#include <caf/all.hpp>

#include <memory>
#include <optional>

namespace herald {

void collect_info(caf::actor_system& sys, std::vector<caf::actor> targets,
                  std::function<void(std::vector<actor_info>)> done) {
  if (targets.empty())
    return done({});
  sys.spawn([targets = std::move(targets), done = std::move(done)](caf::event_based_actor* self) {
    auto slots = std::make_shared<std::vector<std::optional<actor_info>>>(targets.size());
    auto left = std::make_shared<size_t>(targets.size());
    auto finish = [self, slots, left, done] {
      if (--*left > 0)
        return;
      std::vector<actor_info> out;
      for (auto& s : *slots)
        if (s)
          out.push_back(std::move(*s));
      done(std::move(out));
      self->quit();
    };
    for (size_t i = 0; i < targets.size(); ++i)
      self->request(targets[i], std::chrono::seconds(1), info_atom::value)
          .then(
              [slots, i, finish](actor_info& info) {
                (*slots)[i] = std::move(info);
                finish();
              },
              [finish](caf::error&) { finish(); });
  });
}

} // namespace herald
