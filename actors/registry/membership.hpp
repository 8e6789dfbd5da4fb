#pragma once
// The sessions of this node and the channels they sit in: who a publish
// reaches. Each session has an entry (its user, resume token, age and
// channel seats) and a place in the roster, the packed array a broadcast
// walks; each channel has a roster of its own. No actor in it besides the
// session handles it stores.
#include "actors/registry/session_roster.hpp"
#include "actors/registry_types.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace herald {

class membership {
public:
  struct entry {
    std::string user;
    std::string resume_token;
    uint64_t born = 0; // smaller is older
    struct seat {
      std::string channel;
      uint32_t at = 0; // where the session sits in that channel's roster
    };
    std::vector<seat> seats; // user channel excluded
    uint32_t roster_at = 0;
  };

  // Adds a session (detached); join its channels with join().
  entry& add(session_id id, std::string user, std::string resume_token, session_actor handle);
  // Leaves its channels and forgets it; the entry's user is returned.
  std::string remove(session_id id);
  void join(session_id id, const std::string& channel);
  void leave(session_id id, const std::string& channel);
  // True when the flag changed.
  bool set_attached(session_id id, bool attached);

  bool contains(session_id id) const { return sessions_.count(id) > 0; }
  const entry* find(session_id id) const;
  // A live session's handle and attached flag; null for an unknown id.
  const session_roster::member* member(session_id id) const;
  const session_roster& roster() const { return roster_; }
  const session_roster* channel(const std::string& name) const;
  size_t channel_count() const { return channels_.size(); }
  // Channels whose name starts with `prefix` and sorts after `after`, in
  // name order, at most `limit`, with their sessions; `total` counts every match.
  std::vector<std::pair<std::string, uint64_t>> channel_page(const std::string& prefix,
                                                             const std::string& after, size_t limit,
                                                             uint64_t& total) const;
  size_t size() const { return sessions_.size(); }
  uint64_t attached() const { return attached_; }

private:
  entry::seat* seat_of(entry& e, const std::string& channel);

  std::unordered_map<session_id, entry> sessions_;
  uint64_t made_ = 0;
  session_roster roster_;
  std::unordered_map<std::string, session_roster> channels_;
  uint64_t attached_ = 0;
};

} // namespace herald
