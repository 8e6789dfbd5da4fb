#pragma once
// Publish-to-write latency for /metrics: from the moment an event is made
// (the HTTP publish, or its arrival from another node) to the moment a
// session hands its frame to the socket. Lock-free: sessions on any CAF
// thread add to it, /metrics reads it. Each thread counts in a part of its
// own (plain stores, no atomic read-modify-write on the write path, which
// runs once per frame); a read sums the parts.
#include "runtime/per_thread_parts.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace herald {

class latency_histogram {
public:
  // Upper bounds in seconds (Prometheus `le`), then +Inf.
  static constexpr std::array<double, 14> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};

  void observe_ns(int64_t ns, uint64_t times = 1);

  // Observations gathered locally and added at once: one atomic add per
  // bucket touched, not three per observation (a session's write carries
  // dozens of frames in a burst).
  class batch {
  public:
    explicit batch(latency_histogram& h) : h_(h) {}
    batch(const batch&) = delete;
    batch& operator=(const batch&) = delete;
    ~batch();
    void add(int64_t ns);

  private:
    latency_histogram& h_;
    std::array<uint64_t, bounds.size() + 1> counts_{};
    uint64_t sum_ns_ = 0;
    uint64_t count_ = 0;
  };
  // Cumulative counts per bound (the last is +Inf), the sum in seconds, the count.
  struct snapshot {
    std::array<uint64_t, bounds.size() + 1> cumulative{};
    double sum_seconds = 0;
    uint64_t count = 0;
  };
  snapshot read() const;

  // The q-quantile (0 < q < 1) in seconds of what was observed between two
  // reads, interpolated inside its bucket as Prometheus' histogram_quantile
  // does; nothing when nothing was observed. Past the last bound it answers
  // that bound (a lower limit).
  static std::optional<double> quantile(const snapshot& before, const snapshot& after, double q);

private:
  // Written by one thread only; read by any.
  struct part {
    std::array<std::atomic<uint64_t>, bounds.size() + 1> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  static std::size_t bucket_of(int64_t ns);
  per_thread_parts<part> parts_;
};

// The process's one publish-to-write histogram.
latency_histogram& publish_to_write();

} // namespace herald
