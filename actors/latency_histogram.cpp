#include "actors/latency_histogram.hpp"

namespace herald {

void latency_histogram::observe_ns(int64_t ns, uint64_t times) {
  if (ns < 0)
    ns = 0;
  double s = double(ns) / 1e9;
  std::size_t i = 0;
  while (i < bounds.size() && s > bounds[i])
    ++i;
  buckets_[i].fetch_add(times, std::memory_order_relaxed);
  sum_ns_.fetch_add(uint64_t(ns) * times, std::memory_order_relaxed);
  count_.fetch_add(times, std::memory_order_relaxed);
}

latency_histogram::snapshot latency_histogram::read() const {
  snapshot out;
  uint64_t running = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.cumulative[i] = running;
  }
  out.count = running;
  out.sum_seconds = double(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

latency_histogram& publish_to_write() {
  static latency_histogram h;
  return h;
}

} // namespace herald
