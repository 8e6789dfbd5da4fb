#include "actors/latency_histogram.hpp"

#include <doctest/doctest.h>

using namespace herald;

TEST_CASE("a batch of observations lands in the histogram exactly as one observation each would") {
  const int64_t samples[] = {-5, 0, 400'000, 500'000, 500'001, 3'000'000, 42'000'000'000};
  latency_histogram one_by_one, batched;
  for (auto ns : samples)
    one_by_one.observe_ns(ns);
  {
    latency_histogram::batch b{batched};
    for (auto ns : samples)
      b.add(ns);
    CHECK(batched.read().count == 0);  // nothing is added until the batch ends
  }
  auto a = one_by_one.read(), b = batched.read();
  CHECK(b.count == 7);
  CHECK(a.cumulative == b.cumulative);
  CHECK(a.sum_seconds == b.sum_seconds);
  CHECK(b.cumulative[0] == 4);  // -5 (as 0), 0, 0.4 ms, 0.5 ms: le 0.0005
  CHECK(b.cumulative.back() == 7);
}
