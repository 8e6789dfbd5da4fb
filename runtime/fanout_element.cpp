#include "runtime/fanout_element.hpp"

#include <atomic>

namespace herald {

namespace {

class fanout_element;

// Elements given back, newest first. Any thread pushes; a taking thread
// empties it at once (exchange), so a pop never races a push for one node.
std::atomic<fanout_element*> given_back{nullptr};
std::atomic<size_t> allocated{0};
std::atomic<size_t> freed{0};

class fanout_element final : public caf::mailbox_element {
public:
  explicit fanout_element(caf::message msg)
      : caf::mailbox_element(nullptr, caf::make_message_id(), {}), msg_(std::move(msg)) {}

  void reuse(caf::message msg) {
    next = nullptr;
    mid = caf::make_message_id();
    msg_ = std::move(msg);
  }

  caf::type_erased_tuple& content() override { return msg_; }
  const caf::type_erased_tuple& content() const override { return msg_.content(); }
  caf::message move_content_to_message() override { return std::move(msg_); }
  caf::message copy_content_to_message() const override { return msg_; }

  // Called instead of delete by every owner (mailbox_element_ptr's disposer).
  void request_deletion(bool) const noexcept override {
    auto self = const_cast<fanout_element*>(this);
    // Letting go of the share may end the drain (its receipt tells the registry).
    self->msg_ = caf::message{};
    self->sender = nullptr;
    self->stages.clear();
    auto head = given_back.load(std::memory_order_relaxed);
    do
      self->next = head;
    while (!given_back.compare_exchange_weak(head, self, std::memory_order_release,
                                             std::memory_order_relaxed));
  }

  fanout_element* next_spare() const { return static_cast<fanout_element*>(next); }

  // Only a thread's spare list really frees elements (trim, thread exit).
  static void destroy(fanout_element* e) {
    delete e;
    freed.fetch_add(1, std::memory_order_relaxed);
  }

private:
  caf::message msg_;
};

// This thread's elements taken off the shared stack and not yet used.
struct spare_list {
  fanout_element* head = nullptr;
  ~spare_list() {
    while (head) {
      auto next = head->next_spare();
      fanout_element::destroy(head);
      head = next;
    }
  }
};

thread_local spare_list spares;

} // namespace

caf::mailbox_element_ptr make_fanout_element(caf::message msg) {
  if (!spares.head)
    spares.head = given_back.exchange(nullptr, std::memory_order_acquire);
  if (auto e = spares.head) {
    spares.head = e->next_spare();
    e->reuse(std::move(msg));
    return caf::mailbox_element_ptr{e};
  }
  allocated.fetch_add(1, std::memory_order_relaxed);
  return caf::mailbox_element_ptr{new fanout_element(std::move(msg))};
}

size_t fanout_elements_alive() {
  return allocated.load(std::memory_order_relaxed) - freed.load(std::memory_order_relaxed);
}

bool trim_fanout_elements(size_t keep, size_t at_most) {
  auto alive = fanout_elements_alive;
  // From the top of the spares: no walk past the ones that stay.
  for (; at_most > 0 && alive() > keep; --at_most) {
    if (!spares.head)
      spares.head = given_back.exchange(nullptr, std::memory_order_acquire);
    auto e = spares.head;
    if (!e)
      return false; // the rest is in use
    spares.head = e->next_spare();
    fanout_element::destroy(e);
  }
  return alive() > keep && (spares.head || given_back.load(std::memory_order_relaxed));
}

size_t fanout_elements_allocated() {
  return allocated.load(std::memory_order_relaxed);
}

} // namespace herald
