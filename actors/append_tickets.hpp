#pragma once
// Appends of the inbox and history actors waiting for the store thread:
// each request's promise under a ticket that the store's answer (a
// stored_atom message back to the actor) names. One owner, no lock.
#include "actors/event.hpp"

#include <caf/typed_response_promise.hpp>

#include <cstdint>
#include <unordered_map>

namespace herald {

class append_tickets {
public:
  using promise = caf::typed_response_promise<event_frame>;

  // The ticket the store's answer will name.
  uint64_t open(promise p) {
    auto ticket = next_++;
    waiting_.emplace(ticket, std::move(p));
    return ticket;
  }
  // Answers the request behind `ticket` with `ev`; false for an unknown one.
  bool close(uint64_t ticket, event_frame ev) {
    auto it = waiting_.find(ticket);
    if (it == waiting_.end())
      return false;
    it->second.deliver(std::move(ev));
    waiting_.erase(it);
    return true;
  }

private:
  uint64_t next_ = 1;
  std::unordered_map<uint64_t, promise> waiting_;
};

} // namespace herald
