#include "actors/channel_options.hpp"

namespace herald {

void channel_rules::add(std::string match, channel_options options) {
  rule r;
  r.prefix = !match.empty() && match.back() == '*';
  if (r.prefix)
    match.pop_back();
  r.match = std::move(match);
  r.options = options;
  rules_.push_back(std::move(r));
}

const channel_options& channel_rules::find(const std::string& channel) const {
  for (auto& r : rules_)
    if (r.prefix ? channel.compare(0, r.match.size(), r.match) == 0 : channel == r.match)
      return r.options;
  return none_;
}

} // namespace herald
