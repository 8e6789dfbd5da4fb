// The registry's corking and trimming decisions, on a hand-made clock.
#include "actors/registry/drain_scheduler.hpp"

#include <doctest/doctest.h>

using namespace herald;
using order = drain_scheduler::drain_order;

namespace {
constexpr int64_t ms = 1'000'000;
}

TEST_CASE("drains: an idle registry delivers a publish at once") {
  drain_scheduler d(2);
  CHECK(d.on_publish(1000 * ms) == order::now);
  CHECK(d.on_publish(1000 * ms) == order::none); // the drain on its way takes it too
  CHECK(d.on_drain(1000 * ms, true));
  CHECK(d.in_flight() == 1);
}

TEST_CASE("drains: a drain with nothing pending is no drain") {
  drain_scheduler d(2);
  CHECK(d.on_publish(0) == order::now);
  CHECK_FALSE(d.on_drain(0, false));
  CHECK(d.in_flight() == 0);
}

TEST_CASE("drains: publishes while drains are in flight cork the next spell") {
  drain_scheduler d(4);
  int64_t t = 1000 * ms;
  REQUIRE(d.on_publish(t) == order::now);
  REQUIRE(d.on_drain(t, true));
  // Another publish before the first drain was taken: corked, so what the
  // next fraction of a millisecond brings travels with it.
  CHECK(d.on_publish(t + ms) == order::after_cork_window);
  REQUIRE(d.on_drain(t + ms, true));
  auto after = d.on_drained(false);
  CHECK(after.drain == order::none);
  after = d.on_drained(false);
  CHECK(d.streaming());
  CHECK(after.trim_in_ns == drain_scheduler::trim_after_ns);
  // Now streaming: a publish soon after the last drain is corked.
  CHECK(d.on_publish(t + 2 * ms) == order::after_cork_window);
  REQUIRE(d.on_drain(t + 2 * ms, true));
  // One publisher waiting for each answer never publishes while busy: the
  // spell ends and it is not corked any more.
  d.on_drained(false);
  CHECK_FALSE(d.streaming());
  CHECK(d.on_publish(t + 3 * ms) == order::now);
}

TEST_CASE("drains: a publish long after the last drain is never corked") {
  drain_scheduler d(4);
  REQUIRE(d.on_publish(0) == order::now);
  REQUIRE(d.on_drain(0, true));
  d.on_publish(ms); // while busy
  REQUIRE(d.on_drain(ms, true));
  d.on_drained(false);
  d.on_drained(false);
  REQUIRE(d.streaming());
  CHECK(d.on_publish(ms + drain_scheduler::stream_gap_ns + 1) == order::now);
}

TEST_CASE("drains: at batches_in_flight publishes wait for a drained, which drains at once") {
  drain_scheduler d(1);
  REQUIRE(d.on_publish(0) == order::now);
  REQUIRE(d.on_drain(0, true));
  CHECK(d.on_publish(ms) == order::none); // bound reached
  CHECK_FALSE(d.on_drain(ms, true));
  auto after = d.on_drained(true);
  CHECK(after.drain == order::now);
  CHECK(after.trim_in_ns == 0);
  CHECK(d.on_drain(2 * ms, true));
}

TEST_CASE("drains: trimming waits for a second of idleness and goes a slice at a time") {
  drain_scheduler d(2);
  REQUIRE(d.on_publish(0) == order::now);
  REQUIRE(d.on_drain(0, true));
  auto after = d.on_drained(false);
  REQUIRE(after.trim_in_ns == drain_scheduler::trim_after_ns);
  // A drain came meanwhile: the trim message finds it in flight and waits
  // for its drained.
  REQUIRE(d.on_publish(500 * ms) == order::now);
  REQUIRE(d.on_drain(500 * ms, true));
  auto t = d.on_trim(1000 * ms);
  CHECK_FALSE(t.trim_now);
  CHECK(t.retry_in_ns == 0);
  after = d.on_drained(false);
  REQUIRE(after.trim_in_ns > 0);
  // Too early: try again when a second since the last drain has passed.
  t = d.on_trim(1200 * ms);
  CHECK_FALSE(t.trim_now);
  CHECK(t.retry_in_ns == 300 * ms);
  t = d.on_trim(1500 * ms);
  CHECK(t.trim_now);
  d.trim_continues();
  CHECK(d.on_drained(false).trim_in_ns == 0); // a trim message is already on its way
}
