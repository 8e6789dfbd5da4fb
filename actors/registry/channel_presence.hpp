#pragma once
// Who is in the channels that ask for presence or join/leave frames
// ([[channels]] presence, join_leave): per channel, each user's attached
// sessions on this node. No actor in it.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace herald {

class channel_presence {
public:
  // One of the user's sessions in `channel` came (+1) or went (-1); returns
  // the user's sessions there after it.
  uint64_t add(const std::string& channel, const std::string& user);
  uint64_t remove(const std::string& channel, const std::string& user);
  // The channel's users and their sessions, by user name.
  std::vector<std::pair<std::string, uint64_t>> users(const std::string& channel) const;
  // Every (channel, user, sessions) there is, for writing it all again.
  template <class F> void each(F f) const {
    for (auto& [channel, users] : channels_)
      for (auto& [user, n] : users)
        f(channel, user, n);
  }
  size_t channels() const { return channels_.size(); }

private:
  std::unordered_map<std::string, std::map<std::string, uint64_t>> channels_;
};

} // namespace herald
