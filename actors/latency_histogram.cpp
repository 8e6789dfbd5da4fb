#include "actors/latency_histogram.hpp"

namespace herald {

std::size_t latency_histogram::bucket_of(int64_t ns) {
  double s = double(ns) / 1e9;
  std::size_t i = 0;
  while (i < bounds.size() && s > bounds[i])
    ++i;
  return i;
}

void latency_histogram::observe_ns(int64_t ns, uint64_t times) {
  if (ns < 0)
    ns = 0;
  buckets_[bucket_of(ns)].fetch_add(times, std::memory_order_relaxed);
  sum_ns_.fetch_add(uint64_t(ns) * times, std::memory_order_relaxed);
  count_.fetch_add(times, std::memory_order_relaxed);
}

void latency_histogram::batch::add(int64_t ns) {
  if (ns < 0)
    ns = 0;
  ++counts_[bucket_of(ns)];
  sum_ns_ += uint64_t(ns);
  ++count_;
}

latency_histogram::batch::~batch() {
  if (count_ == 0)
    return;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i])
      h_.buckets_[i].fetch_add(counts_[i], std::memory_order_relaxed);
  h_.sum_ns_.fetch_add(sum_ns_, std::memory_order_relaxed);
  h_.count_.fetch_add(count_, std::memory_order_relaxed);
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
