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

TEST_CASE("quantiles are taken over what was observed between two reads") {
  latency_histogram h;
  for (int i = 0; i < 50; ++i)
    h.observe_ns(30'000'000); // 30 ms: the (25 ms, 50 ms] bucket
  auto before = h.read();
  CHECK_FALSE(latency_histogram::quantile(before, h.read(), 0.5)); // nothing since
  for (int i = 0; i < 99; ++i)
    h.observe_ns(700'000); // 0.7 ms: (0.5 ms, 1 ms]
  h.observe_ns(3'000'000); // 3 ms: (2.5 ms, 5 ms]
  auto after = h.read();
  auto p50 = latency_histogram::quantile(before, after, 0.5);
  REQUIRE(p50);
  // Rank 50 of 100, all 99 in (0.5, 1] ms: 0.5 + 0.5 * 50/99 ms.
  CHECK(*p50 == doctest::Approx(0.0005 + 0.0005 * 50.0 / 99.0));
  auto p99 = latency_histogram::quantile(before, after, 0.99);
  REQUIRE(p99);
  CHECK(*p99 == doctest::Approx(0.0005 + 0.0005 * 99.0 / 99.0)); // rank 99: the top of (0.5, 1]
  auto p999 = latency_histogram::quantile(before, after, 0.999);
  REQUIRE(p999);
  CHECK(*p999 > 0.0025);
  CHECK(*p999 <= 0.005);
  // The 30 ms observations before the window do not count.
  CHECK(*latency_histogram::quantile(before, after, 1.0) <= 0.005);
}

TEST_CASE("a quantile past the last bound answers the last bound") {
  latency_histogram h;
  auto before = h.read();
  h.observe_ns(60'000'000'000); // 60 s
  CHECK(*latency_histogram::quantile(before, h.read(), 0.5) == latency_histogram::bounds.back());
}
