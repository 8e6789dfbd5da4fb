#pragma once
// The users this node knows: each one's sessions here, how many are
// attached, when it was last seen. Offline named users stay for
// presence.retain (at most presence.max_users of them); anonymous users go
// with their last session. No actor in it.
#include "actors/registry_types.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace herald {

bool anonymous_user(const std::string& user); // "anon:<session id>"

class presence_book {
public:
  struct user {
    std::unordered_set<session_id> sessions;
    uint64_t attached = 0;
    int64_t last_seen_ns = 0; // steady clock
    std::chrono::system_clock::time_point last_seen_wall;
  };

  const user* find(const std::string& name) const;
  void add_session(const std::string& name, session_id id, int64_t now_ns);
  void remove_session(const std::string& name, session_id id);
  // One of the user's sessions was attached or detached; returns the
  // user's attached sessions after it.
  uint64_t attached_changed(const std::string& name, bool attached);
  void seen(const std::string& name, int64_t now_ns);
  // Forgets offline users seen before `now_ns - retain_ns`, then the oldest
  // offline ones while more than `max_users` are known.
  void prune(int64_t now_ns, int64_t retain_ns, uint64_t max_users);

  size_t size() const { return users_.size(); }
  uint64_t online() const { return online_; }
  const std::unordered_map<std::string, user>& users() const { return users_; }

private:
  std::unordered_map<std::string, user> users_;
  uint64_t online_ = 0; // users with an attached session
};

} // namespace herald
