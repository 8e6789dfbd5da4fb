#include "runtime/compact_actor.hpp"

#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/execution_unit.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/sec.hpp>

#include <algorithm>

namespace herald {

compact_actor::compact_actor(caf::actor_config& cfg) : caf::monitorable_actor(cfg) {}

compact_actor::~compact_actor() {
  while (cache_) {
    auto next = static_cast<caf::mailbox_element*>(cache_->next);
    caf::mailbox_element_ptr drop{cache_};
    cache_ = next;
  }
}

void compact_actor::intrusive_ptr_add_ref_impl() {
  caf::intrusive_ptr_add_ref(ctrl());
}

void compact_actor::intrusive_ptr_release_impl() {
  caf::intrusive_ptr_release(ctrl());
}

// The scheduler holds a reference while the actor is queued or running.
void compact_actor::schedule(caf::execution_unit* host) {
  caf::intrusive_ptr_add_ref(ctrl());
  if (host)
    host->exec_later(this);
  else
    home_system().scheduler().enqueue(this);
}

void compact_actor::launch() {
  register_at_system();
  schedule(nullptr); // the inbox is not blocked: the first run starts it
}

compact_actor::push_result compact_actor::push(caf::mailbox_element_ptr what) {
  queued_.fetch_add(1, std::memory_order_relaxed);
  switch (inbox_.push(what.get())) {
    case actor_inbox::push_result::woke_reader:
      (void)what.release(); // the inbox owns it now
      return push_result::woke;
    case actor_inbox::push_result::queued:
      (void)what.release();
      return push_result::queued;
    case actor_inbox::push_result::closed:
      break;
  }
  queued_.fetch_sub(1, std::memory_order_relaxed);
  if (what->mid.is_request())
    caf::detail::sync_request_bouncer{
        quit_reason_ ? quit_reason_ : caf::make_error(caf::exit_reason::normal)}(what->sender,
                                                                                 what->mid);
  return push_result::closed;
}

void compact_actor::enqueue(caf::mailbox_element_ptr what, caf::execution_unit* host) {
  if (push(std::move(what)) == push_result::woke)
    schedule(host);
}

bool compact_actor::enqueue_unscheduled(caf::mailbox_element_ptr what) {
  if (push(std::move(what)) != push_result::woke)
    return false;
  caf::intrusive_ptr_add_ref(ctrl());
  return true;
}

void compact_actor::unexpected(caf::mailbox_element& x) {
  if (x.mid.is_request())
    reply(x, caf::make_error(caf::sec::unexpected_message));
}

void compact_actor::quit(caf::error reason) {
  if (quit_)
    return;
  quit_ = true;
  quit_reason_ = std::move(reason);
}

caf::resumable::resume_result compact_actor::resume(caf::execution_unit* host,
                                                    size_t max_throughput) {
  context_ = host;
  if (!started_) {
    started_ = true;
    guarded([this] { on_start(); });
  }
  size_t handled = 0;
  while (!quit_) {
    if (!cache_) {
      auto head = inbox_.take_all();
      if (!head) {
        guarded([this] { on_idle(); });
        if (quit_)
          break;
        if (inbox_.try_block()) {
          context_ = nullptr;
          return awaiting_message;
        }
        continue; // a message arrived meanwhile
      }
      // The inbox is a stack: newest first. Reverse it into arrival order.
      caf::mailbox_element* fifo = nullptr;
      while (head) {
        auto next = static_cast<caf::mailbox_element*>(head->next);
        head->next = fifo;
        fifo = head;
        head = next;
      }
      cache_ = fifo;
    }
    if (handled == max_throughput) {
      guarded([this] { on_yield(); });
      if (quit_)
        break;
      context_ = nullptr;
      return resume_later;
    }
    auto x = cache_;
    cache_ = static_cast<caf::mailbox_element*>(x->next);
    x->next = nullptr;
    queued_.fetch_sub(1, std::memory_order_relaxed);
    caf::mailbox_element_ptr owned{x};
    guarded([this, x] { handle(*x); });
    ++handled;
  }
  // Quit: drop what waits (answering requests), tell the monitors.
  caf::detail::sync_request_bouncer bounce{
      quit_reason_ ? quit_reason_ : caf::make_error(caf::exit_reason::normal)};
  while (cache_) {
    auto next = static_cast<caf::mailbox_element*>(cache_->next);
    caf::mailbox_element_ptr drop{cache_};
    if (drop->mid.is_request())
      bounce(drop->sender, drop->mid);
    cache_ = next;
  }
  auto drop_one = [&](caf::mailbox_element* x) {
    caf::mailbox_element_ptr drop{x};
    if (drop->mid.is_request())
      bounce(drop->sender, drop->mid);
  };
  inbox_.close(drop_one);
  queued_.store(0, std::memory_order_relaxed);
  unregister_from_system();
  cleanup(caf::error{quit_reason_}, host);
  context_ = nullptr;
  return done;
}

} // namespace herald
