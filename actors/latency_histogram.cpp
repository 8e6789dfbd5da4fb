#include "actors/latency_histogram.hpp"

namespace herald {

std::size_t latency_histogram::bucket_of(int64_t ns) {
  double s = double(ns) / 1e9;
  std::size_t i = 0;
  while (i < bounds.size() && s > bounds[i])
    ++i;
  return i;
}

namespace {

std::atomic<uint64_t> next_instance{1};

// Only the owning thread writes a part, so a load and a store suffice.
void bump(std::atomic<uint64_t>& counter, uint64_t by) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

} // namespace

latency_histogram::latency_histogram() : instance_(next_instance.fetch_add(1)) {}

latency_histogram::~latency_histogram() {
  for (auto p = parts_.load(); p;) {
    auto next = p->next;
    delete p;
    p = next;
  }
}

latency_histogram::part& latency_histogram::local() {
  thread_local uint64_t cached_instance = 0;
  thread_local part* cached = nullptr;
  if (cached_instance == instance_)
    return *cached;
  auto me = std::this_thread::get_id();
  part* mine = nullptr;
  for (auto p = parts_.load(std::memory_order_acquire); p && !mine; p = p->next)
    if (p->owner == me)
      mine = p;
  if (!mine) {
    mine = new part;
    mine->owner = me;
    mine->next = parts_.load(std::memory_order_relaxed);
    while (!parts_.compare_exchange_weak(mine->next, mine, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }
  cached_instance = instance_;
  cached = mine;
  return *mine;
}

void latency_histogram::observe_ns(int64_t ns, uint64_t times) {
  if (ns < 0)
    ns = 0;
  auto& p = local();
  bump(p.buckets[bucket_of(ns)], times);
  bump(p.sum_ns, uint64_t(ns) * times);
  bump(p.count, times);
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
  auto& p = h_.local();
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i])
      bump(p.buckets[i], counts_[i]);
  bump(p.sum_ns, sum_ns_);
  bump(p.count, count_);
}

latency_histogram::snapshot latency_histogram::read() const {
  snapshot out;
  std::array<uint64_t, bounds.size() + 1> counts{};
  uint64_t sum_ns = 0;
  for (auto p = parts_.load(std::memory_order_acquire); p; p = p->next) {
    for (std::size_t i = 0; i < counts.size(); ++i)
      counts[i] += p->buckets[i].load(std::memory_order_relaxed);
    sum_ns += p->sum_ns.load(std::memory_order_relaxed);
  }
  uint64_t running = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    running += counts[i];
    out.cumulative[i] = running;
  }
  out.count = running;
  out.sum_seconds = double(sum_ns) / 1e9;
  return out;
}

latency_histogram& publish_to_write() {
  static latency_histogram h;
  return h;
}

} // namespace herald
