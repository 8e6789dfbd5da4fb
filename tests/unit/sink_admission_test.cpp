#include "actors/sink_admission.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

using namespace herald;
using persistence::breaker_phase;
using persistence::send_result;

TEST_CASE("the rate window never grants more than per_sec in any window of 1.08 s") {
  sliding_rate rate(10);
  std::vector<int64_t> sent;
  // A sender that asks every 7 ms for 3 sends, for 5 seconds.
  for (int64_t now = 0; now < 5000; now += 7)
    for (uint32_t i = rate.take(3, now); i > 0; --i)
      sent.push_back(now);
  for (size_t i = 0; i < sent.size(); ++i) {
    auto in_window = std::count_if(sent.begin() + long(i), sent.end(),
                                   [&](int64_t t) { return t < sent[i] + 1080; });
    CHECK(in_window <= 10);
  }
  // ... and keeps close to the rate: 1000 / 1100 of it.
  CHECK(sent.size() >= 45);
}

TEST_CASE("the rate window says how long until room comes back") {
  sliding_rate rate(4);
  CHECK(rate.take(3, 100) == 3);
  CHECK(rate.take(3, 130) == 1);
  CHECK(rate.wait_ms(140) == 1100 - 140 + 100); // slot 5 leaves the span at 1200
  CHECK(rate.take(1, 1199) == 0);
  CHECK(rate.take(5, 1200) == 3);
  CHECK(rate.take(1, 1200) == 0);
}

TEST_CASE("a filled rate window grants nothing for one span: a fresh process starts empty") {
  sliding_rate rate(10);
  rate.fill(1000);
  CHECK(rate.take(1, 1000) == 0);
  CHECK(rate.take(1, 2079) == 0);
  CHECK(rate.wait_ms(2079) == 21);
  CHECK(rate.take(10, 2100) == 10);
}

TEST_CASE("the breaker opens after consecutive failures and lets one probe through after the "
          "cooldown") {
  persistence::sink_limits limits{1000, 3, 1000, 5000};
  local_admission gate(limits, 0);
  CHECK(gate.acquire(5, 2000).granted == 5);
  gate.report(send_result::failed, false, 2000);
  gate.report(send_result::failed, false, 2000);
  gate.report(send_result::delivered, false, 2000); // consecutive: a success starts the count again
  gate.report(send_result::failed, false, 2010);
  gate.report(send_result::failed, false, 2010);
  CHECK(gate.breaker().phase == breaker_phase::closed);
  auto after = gate.report(send_result::failed, false, 2010);
  CHECK(after.breaker.phase == breaker_phase::open);
  CHECK(after.breaker.failures == 3);
  auto shut = gate.acquire(5, 2500);
  CHECK(shut.granted == 0);
  CHECK(shut.retry_in_ms == 510);
  auto probe = gate.acquire(5, 3010);
  CHECK(probe.granted == 1);
  CHECK(probe.probe);
  CHECK(probe.breaker.phase == breaker_phase::half_open);
  CHECK(gate.acquire(5, 3011).granted == 0);    // one probe at a time
  gate.report(send_result::failed, true, 3100); // the probe failed: open for another cooldown
  CHECK(gate.breaker().phase == breaker_phase::open);
  CHECK(gate.acquire(1, 4000).granted == 0);
  auto second = gate.acquire(1, 4100);
  REQUIRE(second.probe);
  gate.report(send_result::delivered, true, 4150);
  CHECK(gate.breaker().phase == breaker_phase::closed);
  CHECK(gate.acquire(5, 4150).granted == 5);
}

TEST_CASE("a probe that never reports stops holding the breaker after its lease") {
  persistence::sink_limits limits{1000, 1, 1000, 5000};
  local_admission gate(limits, 0, {breaker_phase::half_open, 1, 7000}); // saved by a dead process
  CHECK(gate.acquire(1, 6999).granted == 0);
  auto a = gate.acquire(1, 7000);
  CHECK(a.granted == 1);
  CHECK(a.probe);
}

TEST_CASE("a probe sent into a 429 hands the probe on") {
  persistence::sink_limits limits{1000, 1, 1000, 5000};
  local_admission gate(limits, 0);
  gate.acquire(1, 2000);
  gate.report(send_result::failed, false, 2000);
  REQUIRE(gate.acquire(1, 3000).probe);
  gate.report(send_result::neutral, true, 3001);
  CHECK(gate.acquire(1, 3002).probe);
}
