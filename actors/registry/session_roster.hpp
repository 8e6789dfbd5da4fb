#pragma once
// The registry's sessions packed in one array, in the order they came. A
// broadcast walks it front to back: the handles it needs sit side by side
// instead of one hash node per session, each found only through the last.
#include "actors/registry_types.hpp"
#include "actors/session_protocol.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace herald {

class session_roster {
public:
  struct member {
    session_actor handle;
    session_id id = 0;
    bool attached = false;
  };

  // Returns where the member sits; the caller keeps it for remove() and set_attached().
  uint32_t add(session_id id, session_actor handle, bool attached) {
    members_.push_back({std::move(handle), id, attached});
    return static_cast<uint32_t>(members_.size() - 1);
  }

  // The last member moves into the gap: returns its id, whose position is now `at`.
  std::optional<session_id> remove(uint32_t at) {
    std::optional<session_id> moved;
    if (at + 1 != members_.size()) {
      members_[at] = std::move(members_.back());
      moved = members_[at].id;
    }
    members_.pop_back();
    return moved;
  }

  void set_attached(uint32_t at, bool attached) { members_[at].attached = attached; }

  const member& at(uint32_t i) const { return members_[i]; }

  const std::vector<member>& members() const { return members_; }
  size_t size() const { return members_.size(); }

private:
  std::vector<member> members_;
};

} // namespace herald
