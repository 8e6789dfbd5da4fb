#pragma once
// What [[channels]] says about a channel (docs/history.md): history, presence,
// join/leave frames. The first entry whose `match` fits wins; a channel no
// entry fits has none of them.
#include "persistence/history.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace herald {

struct channel_options {
  persistence::history_rule history; // history.size 0: none
  bool presence = false;
  bool join_leave = false;
  bool has_history() const { return history.size > 0; }
};

class channel_rules {
public:
  // `match`: an exact name, or a prefix ending in '*'.
  void add(std::string match, channel_options options);
  const channel_options& find(const std::string& channel) const;
  bool empty() const { return rules_.empty(); }

private:
  struct rule {
    std::string match;
    bool prefix = false;
    channel_options options;
  };
  std::vector<rule> rules_;
  channel_options none_;
};

} // namespace herald
