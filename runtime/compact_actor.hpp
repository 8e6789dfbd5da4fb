#pragma once
// A CAF actor without a behavior stack, for actors that exist by the
// thousand (one per client session). CAF 0.17's event-based actor carries
// ~1 KB of machinery an idle session never uses (behavior stack, stream
// managers, five handler slots, a multiplexed mailbox) plus a heap-allocated
// behavior; this one is a monitorable actor with a lock-free mailbox that the
// CAF scheduler runs like any other. It has an address, is spawned in the
// actor system, is monitored (down messages) and answers requests; a
// subclass dispatches on the message itself.
#include "runtime/actor_inbox.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/resumable.hpp>
#include <caf/sec.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <vector>

namespace herald {

class compact_actor : public caf::monitorable_actor, public caf::resumable {
public:
  explicit compact_actor(caf::actor_config& cfg);
  ~compact_actor() override;

  // Registers with the actor system and schedules the first run, which calls
  // on_start() before any message. Call once, right after make_actor.
  void launch();

  // --- CAF's side -----------------------------------------------------------
  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* host) override;
  // Like enqueue, but leaves scheduling to the caller: true when the actor
  // was idle and must now be scheduled (with a reference, see batch_job).
  bool enqueue_unscheduled(caf::mailbox_element_ptr what);
  resume_result resume(caf::execution_unit* host, size_t max_throughput) override;
  void intrusive_ptr_add_ref_impl() override;
  void intrusive_ptr_release_impl() override;

  // --- cache hints (they only start loads) ------------------------------------
  // What an enqueue writes: the reference count and the mailbox.
  void prefetch_mailbox() const {
    __builtin_prefetch(ctrl(), 1);
    __builtin_prefetch(&inbox_, 1);
  }
  // The newest message waiting: the element and the message it holds span
  // two cache lines.
  void prefetch_message() const {
    if (auto m = static_cast<const char*>(inbox_.newest())) {
      __builtin_prefetch(m);
      __builtin_prefetch(m + CAF_CACHE_LINE_SIZE);
    }
  }
  // A batch job runs this actor next (its object is in the cache already):
  // what its next message will touch beyond the object.
  virtual void prefetch() const {}

  // Messages waiting (approximate while others enqueue).
  size_t mailbox_size() const { return queued_.load(std::memory_order_relaxed); }

protected:
  virtual void on_start() {}
  virtual void handle(caf::mailbox_element& x) = 0;
  // No message waits: the mailbox ran dry for now.
  virtual void on_idle() {}
  // The actor gives up its thread with messages still waiting.
  virtual void on_yield() {}
  // A handler threw; the actor ends with runtime_error after this.
  virtual void on_exception(std::exception_ptr) {}

  // Ends the actor after the current message: what waits is dropped
  // (requests among it are answered with an error), monitors get down_msg.
  void quit(caf::error reason = caf::error{});
  bool quitting() const { return quit_; }
  bool mailbox_empty() const { return cache_ == nullptr && inbox_.empty(); }

  caf::actor_clock::time_point now() const { return home_system().clock().now(); }

  // Sends without a sender (the receivers of a session never answer it).
  template <class Handle, class... Ts> void tell(const Handle& receiver, Ts&&... xs) {
    if (auto p = caf::actor_cast<caf::strong_actor_ptr>(receiver))
      p->enqueue(
          caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, std::forward<Ts>(xs)...),
          context_);
  }

  template <class... Ts> void tell_self_after(caf::timespan delay, Ts&&... xs) {
    home_system().clock().schedule_message(
        now() + delay, caf::strong_actor_ptr{ctrl()},
        caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, std::forward<Ts>(xs)...));
  }

  // Answers `x` as a CAF handler's result does: a request gets its response,
  // a plain message from a known sender gets the result as a message.
  template <class... Ts> void reply(caf::mailbox_element& x, Ts&&... xs) {
    if (x.mid.is_answered())
      return;
    auto id = x.mid.is_request() ? x.mid.response_id() : caf::make_message_id();
    x.mid.mark_as_answered();
    if (x.stages.empty()) {
      if (x.sender)
        x.sender->enqueue(caf::make_mailbox_element(caf::strong_actor_ptr{ctrl()}, id, {},
                                                    std::forward<Ts>(xs)...),
                          context_);
      return;
    }
    auto next = std::move(x.stages.back());
    x.stages.pop_back();
    next->enqueue(caf::make_mailbox_element(std::move(x.sender), x.mid, std::move(x.stages),
                                            std::forward<Ts>(xs)...),
                  context_);
  }

  // A message nobody here understands: a request learns so, the rest is dropped.
  void unexpected(caf::mailbox_element& x);

  caf::execution_unit* context() const { return context_; }

private:
  enum class push_result { queued, woke, closed };
  push_result push(caf::mailbox_element_ptr what);
  void schedule(caf::execution_unit* host);
  // Runs a hook; one that throws ends the actor with runtime_error.
  template <class F> void guarded(F hook) {
    try {
      hook();
    } catch (...) {
      on_exception(std::current_exception());
      quit(caf::make_error(caf::sec::runtime_error));
    }
  }

  actor_inbox inbox_;
  caf::mailbox_element* cache_ = nullptr; // taken from the inbox, oldest first
  std::atomic<uint32_t> queued_{0};
  caf::execution_unit* context_ = nullptr; // while running
  bool started_ = false;
  bool quit_ = false;
  caf::error quit_reason_;
};

} // namespace herald
