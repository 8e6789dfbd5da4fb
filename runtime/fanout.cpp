#include "runtime/fanout.hpp"

#include "runtime/batch_job.hpp"
#include "runtime/compact_actor.hpp"
#include "runtime/fanout_element.hpp"

namespace herald {

fanout::~fanout() {
  if (!empty()) {
    auto first = added_ > pushed_ ? waiting_[pushed_ % lookahead].actor : woken_.front();
    launch(nullptr, first->home_system());
  }
}

void fanout::add(compact_actor* actor, const caf::message& msg) {
  actor->prefetch_mailbox();
  if (added_ - pushed_ == lookahead)
    push_next();
  waiting_[added_ % lookahead] = {actor, msg};
  ++added_;
}

void fanout::push_next() {
  auto& w = waiting_[pushed_ % lookahead];
  ++pushed_;
  if (w.actor->enqueue_unscheduled(make_fanout_element(std::move(w.msg))))
    woken_.push_back(w.actor);
  w = {};
}

bool fanout::trim_spare_elements(size_t keep, size_t at_most) {
  return trim_fanout_elements(keep, at_most);
}

void fanout::launch(caf::execution_unit* host, caf::actor_system& sys) {
  while (pushed_ < added_)
    push_next();
  batch_job::launch(woken_, per_job_, host, sys, object_bytes_);
}

} // namespace herald
