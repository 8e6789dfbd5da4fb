#include "runtime/latency_histogram.hpp"

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
  auto& p = parts_.local();
  bump_own(p.buckets[bucket_of(ns)], times);
  bump_own(p.sum_ns, uint64_t(ns) * times);
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
  auto& p = h_.parts_.local();
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i])
      bump_own(p.buckets[i], counts_[i]);
  bump_own(p.sum_ns, sum_ns_);
}

latency_histogram::snapshot latency_histogram::read() const {
  snapshot out;
  std::array<uint64_t, bounds.size() + 1> counts{};
  uint64_t sum_ns = 0;
  parts_.for_each([&](const part& p) {
    for (std::size_t i = 0; i < counts.size(); ++i)
      counts[i] += p.buckets[i].load(std::memory_order_relaxed);
    sum_ns += p.sum_ns.load(std::memory_order_relaxed);
  });
  uint64_t running = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    running += counts[i];
    out.cumulative[i] = running;
  }
  out.count = running;
  out.sum_seconds = double(sum_ns) / 1e9;
  return out;
}

std::optional<double> latency_histogram::quantile(const snapshot& before, const snapshot& after,
                                                  double q) {
  auto in_window = [&](std::size_t i) { return after.cumulative[i] - before.cumulative[i]; };
  uint64_t total = in_window(bounds.size());
  if (total == 0 || after.count < before.count)
    return std::nullopt;
  double rank = q * double(total);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    double upto = double(in_window(i));
    if (upto < rank)
      continue;
    double lower = i == 0 ? 0.0 : bounds[i - 1];
    double below = i == 0 ? 0.0 : double(in_window(i - 1));
    double here = upto - below;
    if (here <= 0)
      return lower;
    return lower + (bounds[i] - lower) * (rank - below) / here;
  }
  return bounds.back();
}

latency_histogram& publish_to_write() {
  static latency_histogram h;
  return h;
}

} // namespace herald
