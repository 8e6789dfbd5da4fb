#include "runtime/batch_job.hpp"

#include <caf/execution_unit.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <algorithm>

namespace herald {

batch_job::~batch_job() {
  // Not run to the end (the scheduler shut down): let go of the rest.
  for (; next_ < actors_.size(); ++next_)
    caf::scheduler::abstract_coordinator::cleanup_and_release(actors_[next_]);
}

// Each actor of a fan-out sits in its own part of memory, cold by its turn.
// Its object is fetched two turns ahead and what its state points to one
// turn ahead, so the loads overlap the socket writes of the actors before it.
void batch_job::prefetch_object(const compact_actor* a) const {
  auto base = reinterpret_cast<const char*>(static_cast<const caf::abstract_actor*>(a)) -
              CAF_CACHE_LINE_SIZE;
  for (size_t at = 0; at < CAF_CACHE_LINE_SIZE + object_bytes_; at += CAF_CACHE_LINE_SIZE)
    __builtin_prefetch(base + at);
}

caf::resumable::resume_result batch_job::resume(caf::execution_unit* host, size_t max_throughput) {
  if (object_bytes_ > 0)
    for (size_t i = next_; i < std::min(next_ + 2, actors_.size()); ++i)
      prefetch_object(actors_[i]);
  for (; next_ < actors_.size(); ++next_) {
    if (object_bytes_ > 0) {
      if (next_ + 2 < actors_.size())
        prefetch_object(actors_[next_ + 2]);
      if (next_ + 1 < actors_.size()) {
        actors_[next_ + 1]->prefetch_message();
        actors_[next_ + 1]->prefetch();
      }
    }
    caf::resumable* a = actors_[next_];
    switch (a->resume(host, max_throughput)) {
      case resume_later: // keeps its reference
        if (host)
          host->exec_later(a);
        else
          actors_[next_]->home_system().scheduler().enqueue(a);
        break;
      default:
        caf::intrusive_ptr_release(a);
        break;
    }
  }
  return done;
}

void batch_job::launch(std::vector<compact_actor*>& actors, size_t per_job,
                       caf::execution_unit* host, caf::actor_system& sys, size_t object_bytes) {
  for (size_t at = 0; at < actors.size(); at += per_job) {
    auto end = std::min(actors.size(), at + per_job);
    auto job = new batch_job({actors.begin() + static_cast<std::ptrdiff_t>(at),
                              actors.begin() + static_cast<std::ptrdiff_t>(end)},
                             object_bytes);
    // The new job's one reference goes to the scheduler.
    if (host)
      host->exec_later(job);
    else
      sys.scheduler().enqueue(job);
  }
  actors.clear();
}

} // namespace herald
