#include "actors/channel_policy.hpp"

#include "config/text.hpp"

namespace herald {

namespace {

// Channels of the server itself (the console's herald.monitor): no client may
// publish to them, and only a token that names one exactly may join it.
bool server_channel(const std::string& name) {
  return name.rfind("herald.", 0) == 0;
}

} // namespace

channel_check check_channel_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || !valid_utf8(name))
    return channel_check::bad_name;
  if (name == "broadcast" || name.rfind("user:", 0) == 0 || server_channel(name))
    return channel_check::reserved;
  return channel_check::ok;
}

channel_check check_channel(const std::vector<std::string>& patterns, const std::string& name) {
  auto named = check_channel_name(name);
  if (named == channel_check::reserved && server_channel(name)) {
    for (auto& p : patterns)
      if (p == name)
        return channel_check::ok;
    return channel_check::reserved;
  }
  if (named != channel_check::ok)
    return named;
  for (auto& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (name.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0)
        return channel_check::ok;
    } else if (p == name) {
      return channel_check::ok;
    }
  }
  return channel_check::forbidden;
}

std::string user_channel(const std::string& user) {
  return "user:" + user;
}

} // namespace herald
