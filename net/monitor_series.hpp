#pragma once
// The console's charts over a fixed window: one point a second, kept by the
// monitor feed whether anyone watches or not, so a console opened now draws
// the last five minutes at once (GET /api/v1/console/series) and then adds
// each snapshot's point. Written by the feed's thread, read by API threads.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <deque>
#include <mutex>

namespace herald::net {

class monitor_series {
public:
  static constexpr std::size_t window_seconds = 300;

  void add(nlohmann::json point);
  // {"window_s": 300, "points": [oldest … newest]}
  nlohmann::json to_json() const;

private:
  mutable std::mutex mutex_;
  std::deque<nlohmann::json> points_;
};

} // namespace herald::net
