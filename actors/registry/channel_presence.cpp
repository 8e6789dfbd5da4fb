#include "actors/registry/channel_presence.hpp"

namespace herald {

uint64_t channel_presence::add(const std::string& channel, const std::string& user) {
  return ++channels_[channel][user];
}

uint64_t channel_presence::remove(const std::string& channel, const std::string& user) {
  auto c = channels_.find(channel);
  if (c == channels_.end())
    return 0;
  auto u = c->second.find(user);
  if (u == c->second.end())
    return 0;
  auto left = --u->second;
  if (left == 0) {
    c->second.erase(u);
    if (c->second.empty())
      channels_.erase(c);
  }
  return left;
}

std::vector<std::pair<std::string, uint64_t>>
channel_presence::users(const std::string& channel) const {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (auto c = channels_.find(channel); c != channels_.end())
    out.assign(c->second.begin(), c->second.end());
  return out;
}

} // namespace herald
