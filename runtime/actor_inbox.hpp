#pragma once
// A compact actor's mailbox: a lock-free stack that any thread pushes onto
// and only the actor takes from, with two marks besides "empty": the actor
// waits for a message (the pusher that ends the wait schedules it) and the
// actor is gone (pushes are refused). The same protocol as CAF's
// lifo_inbox, plus a look at the newest message for prefetching.
#include <caf/mailbox_element.hpp>

#include <atomic>
#include <cstdint>

namespace herald {

class actor_inbox {
public:
  enum class push_result { queued, woke_reader, closed };

  actor_inbox() = default;
  ~actor_inbox() {
    close([](caf::mailbox_element* x) { caf::mailbox_element_ptr drop{x}; });
  }
  actor_inbox(const actor_inbox&) = delete;
  actor_inbox& operator=(const actor_inbox&) = delete;

  // Any thread. On `closed` the element is not taken: the caller keeps it.
  push_result push(caf::mailbox_element* x) {
    auto top = head_.load(std::memory_order_relaxed);
    for (;;) {
      if (top == closed_mark())
        return push_result::closed;
      x->next = top == blocked_mark() ? nullptr : top;
      if (head_.compare_exchange_weak(top, x, std::memory_order_release, std::memory_order_relaxed))
        return top == blocked_mark() ? push_result::woke_reader : push_result::queued;
    }
  }

  // The actor: every message waiting, newest first (null when none).
  caf::mailbox_element* take_all() {
    auto top = head_.load(std::memory_order_relaxed);
    while (is_message(top))
      if (head_.compare_exchange_weak(top, nullptr, std::memory_order_acquire,
                                      std::memory_order_relaxed))
        return top;
    return nullptr;
  }

  // The actor: from empty to waiting; false when a message arrived first.
  bool try_block() {
    caf::mailbox_element* empty = nullptr;
    return head_.compare_exchange_strong(empty, blocked_mark(), std::memory_order_acq_rel);
  }

  bool empty() const { return head_.load(std::memory_order_relaxed) == nullptr; }

  // The newest waiting message, to start loading it; never dereferenced here.
  const void* newest() const {
    auto top = head_.load(std::memory_order_relaxed);
    return is_message(top) ? top : nullptr;
  }

  // The actor, once: refuses every later push and gives `f` each message waiting.
  template <class F> void close(F f) {
    auto top = head_.exchange(closed_mark(), std::memory_order_acq_rel);
    if (!is_message(top))
      return;
    while (top) {
      auto next = static_cast<caf::mailbox_element*>(top->next);
      f(top);
      top = next;
    }
  }

private:
  // Marks are addresses no element has: odd values.
  static caf::mailbox_element* blocked_mark() {
    return reinterpret_cast<caf::mailbox_element*>(uintptr_t{1});
  }
  static caf::mailbox_element* closed_mark() {
    return reinterpret_cast<caf::mailbox_element*>(uintptr_t{3});
  }
  static bool is_message(caf::mailbox_element* p) {
    return p != nullptr && p != blocked_mark() && p != closed_mark();
  }

  std::atomic<caf::mailbox_element*> head_{nullptr};
};

} // namespace herald
