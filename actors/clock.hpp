#pragma once
// The clocks actors read besides CAF's own: wall time in milliseconds (job
// and inbox times, shared with the store and other nodes) and the steady
// clock in nanoseconds (latencies).
#include <chrono>
#include <cstdint>

namespace herald {

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace herald
