#include "runtime/latency_histogram.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <thread>
#include <vector>

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
    CHECK(batched.read().count == 0); // nothing is added until the batch ends
  }
  auto a = one_by_one.read(), b = batched.read();
  CHECK(b.count == 7);
  CHECK(a.cumulative == b.cumulative);
  CHECK(a.sum_seconds == b.sum_seconds);
  CHECK(b.cumulative[0] == 4); // -5 (as 0), 0, 0.4 ms, 0.5 ms: le 0.0005
  CHECK(b.cumulative.back() == 7);
}

TEST_CASE("observations from many threads all count, each histogram keeping its own") {
  latency_histogram shared;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&shared, t] {
      latency_histogram own; // alternates with the shared one on this thread
      for (int i = 0; i < 10'000; ++i) {
        shared.observe_ns(1'000'000 * (t + 1));
        own.observe_ns(1);
      }
      CHECK(own.read().count == 10'000);
    });
  for (auto& t : threads)
    t.join();
  auto r = shared.read();
  CHECK(r.count == 40'000);
  CHECK(r.sum_seconds == doctest::Approx(10'000 * (0.001 + 0.002 + 0.003 + 0.004)));
  CHECK(r.cumulative[1] == 10'000); // 1 ms: le 0.001
  CHECK(r.cumulative[3] == 40'000); // up to 4 ms: le 0.005
}

TEST_CASE("a histogram made where an earlier one lived starts empty on a thread that used both") {
  for (int round = 0; round < 3; ++round) {
    auto h = std::make_unique<latency_histogram>();
    CHECK(h->read().count == 0);
    h->observe_ns(5);
    CHECK(h->read().count == 1);
  }
}
