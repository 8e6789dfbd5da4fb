#pragma once
// Retry backoff of outbound delivery, as a plain function (so tests need no
// sleeping). A sink's rate limit and breaker: sink_admission.hpp.
#include <chrono>
#include <cstdint>

namespace herald {

using ms = std::chrono::milliseconds;

// Retry n (n >= 1) waits base * 2^(n-1), capped at max, spread by jitter:
// `spread` in [0, 1) picks a point between 80% and 120% of that (capped again).
ms retry_delay(uint32_t attempt, ms base, ms max, double spread);

} // namespace herald
