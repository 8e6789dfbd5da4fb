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
