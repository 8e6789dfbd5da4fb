#include "actors/rate_window.hpp"

#include <doctest/doctest.h>

using namespace herald;

namespace {
constexpr int64_t ms = 1'000'000;
}

TEST_CASE("frames over the per-second limit are rejected, the first one noisily") {
  rate_window w(3, 10'000 * ms);
  CHECK(w.on_frame(0) == rate_verdict::accept);
  CHECK(w.on_frame(1 * ms) == rate_verdict::accept);
  CHECK(w.on_frame(2 * ms) == rate_verdict::accept);
  CHECK(w.on_frame(3 * ms) == rate_verdict::reject_first);
  CHECK(w.on_frame(4 * ms) == rate_verdict::reject);
  CHECK(w.on_frame(1000 * ms) == rate_verdict::accept); // a new window
}

TEST_CASE("a client over the limit for close_after is disconnected; a pause resets the streak") {
  rate_window w(1, 3000 * ms);
  rate_verdict last = rate_verdict::accept;
  for (int64_t t = 0; t <= 3500; t += 100)
    last = w.on_frame(t * ms);
  CHECK(last == rate_verdict::disconnect);

  rate_window calm(1, 3000 * ms);
  for (int64_t t = 0; t < 2000; t += 100)
    calm.on_frame(t * ms);
  CHECK(calm.on_frame(5000 * ms) == rate_verdict::accept); // quiet for 3 s
  CHECK(calm.on_frame(5100 * ms) == rate_verdict::reject_first);
}

TEST_CASE("frames of one read count together") {
  rate_window w(10, 1'000'000'000);
  CHECK(w.on_frame(0, 10) == rate_verdict::accept);
  CHECK(w.on_frame(1, 5) == rate_verdict::reject_first);
}
