#pragma once
// Several compact actors run as one scheduler job (runtime/README.md).
#include "runtime/compact_actor.hpp"

#include <caf/ref_counted.hpp>
#include <caf/resumable.hpp>

#include <cstddef>
#include <vector>

namespace herald {

// Runs several compact actors in one scheduler job: after a fan-out put a
// message in thousands of mailboxes, the scheduler gets a few jobs instead
// of one per actor, and what arrives meanwhile (the next drains) joins the
// messages still waiting.
class batch_job final : public caf::resumable, public caf::ref_counted {
public:
  // Takes over one scheduler reference of each actor. `object_bytes`: the
  // size of the actors' own objects, fetched into the cache ahead of their
  // turn (0: none).
  explicit batch_job(std::vector<compact_actor*> actors, size_t object_bytes = 0)
      : actors_(std::move(actors)), object_bytes_(object_bytes) {}
  ~batch_job() override;
  resume_result resume(caf::execution_unit* host, size_t max_throughput) override;
  void intrusive_ptr_add_ref_impl() override { ref(); }
  void intrusive_ptr_release_impl() override { deref(); }

  // Schedules `actors` (each holding a scheduler reference) as jobs of at
  // most `per_job` actors.
  static void launch(std::vector<compact_actor*>& actors, size_t per_job, caf::execution_unit* host,
                     caf::actor_system& sys, size_t object_bytes = 0);

private:
  void prefetch_object(const compact_actor* a) const;

  std::vector<compact_actor*> actors_;
  size_t object_bytes_;
  size_t next_ = 0;
};

} // namespace herald
