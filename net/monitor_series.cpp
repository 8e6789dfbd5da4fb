#include "net/monitor_series.hpp"

namespace herald::net {

void monitor_series::add(nlohmann::json point) {
  std::lock_guard<std::mutex> lock(mutex_);
  points_.push_back(std::move(point));
  while (points_.size() > window_seconds)
    points_.pop_front();
}

nlohmann::json monitor_series::to_json() const {
  auto points = nlohmann::json::array();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& p : points_)
      points.push_back(p);
  }
  return {{"window_s", window_seconds}, {"points", std::move(points)}};
}

} // namespace herald::net
