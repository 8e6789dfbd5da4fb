#include "actors/delivery_policy.hpp"

#include <doctest/doctest.h>

using namespace herald;

TEST_CASE("retry n waits base * 2^(n-1) within 20% jitter, capped by max_delay") {
  auto base = ms(1000), max = ms(300000);
  CHECK(retry_delay(1, base, max, 0.5) == ms(1000));
  CHECK(retry_delay(2, base, max, 0.5) == ms(2000));
  CHECK(retry_delay(3, base, max, 0.5) == ms(4000));
  CHECK(retry_delay(3, base, max, 0.0) == ms(3200));
  CHECK(retry_delay(3, base, max, 1.0) == ms(4800));
  CHECK(retry_delay(20, base, max, 1.0) == max);
  CHECK(retry_delay(200, base, max, 0.0) == ms(240000));
}

TEST_CASE("a token bucket holds rate_per_sec tokens and refills at that rate") {
  token_bucket b(4, 0);
  for (int i = 0; i < 4; ++i)
    CHECK(b.take(0));
  CHECK_FALSE(b.take(0));
  CHECK(b.wait(0) == ms(251));
  CHECK_FALSE(b.take(200));
  CHECK(b.take(250));
  CHECK_FALSE(b.take(250));
  CHECK(b.take(10000)); // never more than the capacity after a long pause
  CHECK(b.take(10000));
  CHECK(b.take(10000));
  CHECK(b.take(10000));
  CHECK_FALSE(b.take(10000));
}

TEST_CASE("a breaker opens after consecutive failures, lets one probe through after the cooldown") {
  circuit_breaker b(3, ms(1000));
  CHECK(b.allow(0));
  b.on_failure(0);
  b.on_failure(0);
  b.on_success(); // consecutive: a success in between starts the count again
  b.on_failure(10);
  b.on_failure(10);
  CHECK(b.state(10) == breaker_state::closed);
  b.on_failure(10);
  CHECK(b.state(10) == breaker_state::open);
  CHECK_FALSE(b.allow(500));
  CHECK(b.state(1010) == breaker_state::half_open);
  CHECK(b.allow(1010));
  CHECK_FALSE(b.allow(1011)); // one probe at a time
  b.on_failure(1100);         // the probe failed: open again for a cooldown
  CHECK(b.state(1200) == breaker_state::open);
  CHECK_FALSE(b.allow(2000));
  CHECK(b.allow(2100));
  b.on_success();
  CHECK(b.state(2100) == breaker_state::closed);
  CHECK(b.allow(2100));
  CHECK(b.allow(2100));
  CHECK(b.opened_count() == 2);
}
