#pragma once
// Delivers one message to many compact actors: each mailbox gets a pooled
// element (fanout_element.hpp) that points at the one message; the actors
// that were idle are scheduled by launch(), `per_job` of them per scheduler
// job (batch_job.hpp), so they run after the whole fan-out and what arrives
// before they run (the next fan-outs) joins the messages waiting. Until
// launch() they do not run at all: the owner must call it (the destructor
// does, for what is left). Used on one thread at a time.
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include <array>
#include <cstddef>
#include <vector>

namespace herald {

class compact_actor;

class fanout {
public:
  // `object_bytes`: how much of each actor's object a message touches,
  // loaded into the cache ahead of its turn (batch_job).
  fanout(size_t object_bytes, size_t per_job) : object_bytes_(object_bytes), per_job_(per_job) {}
  fanout(const fanout&) = delete;
  fanout& operator=(const fanout&) = delete;
  ~fanout();

  void add(compact_actor* actor, const caf::message& msg);
  void launch(caf::execution_unit* host, caf::actor_system& sys);
  bool empty() const { return woken_.empty() && added_ == pushed_; }

  // Frees up to `at_most` pooled elements while more than `keep` exist; true
  // when more could be freed. Call on the thread that runs fan-outs.
  static bool trim_spare_elements(size_t keep, size_t at_most);

private:
  // Mailboxes are filled a few actors behind add(): each mailbox starts
  // loading into the cache when it is added and is written when its turn
  // comes, so the loads of several cold mailboxes overlap.
  static constexpr size_t lookahead = 8;
  struct waiting {
    compact_actor* actor = nullptr;
    caf::message msg;
  };
  void push_next();

  size_t object_bytes_;
  size_t per_job_;
  std::array<waiting, lookahead> waiting_;
  size_t added_ = 0;
  size_t pushed_ = 0;
  std::vector<compact_actor*> woken_;
};

} // namespace herald
