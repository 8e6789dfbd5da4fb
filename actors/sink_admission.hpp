#pragma once
// A sink's rate limit and circuit breaker kept in this process, on a clock
// the caller passes in (rules: persistence/sink_limits.hpp). Notifiers use
// it when the store does not share limits between nodes (SQLite, memory);
// the breaker is saved in the store, the rate window starts full.
#include "persistence/sink_limits.hpp"

#include <cstdint>
#include <deque>
#include <utility>

namespace herald {

// At most `per_sec` sends in any rate_span_slots slots.
class sliding_rate {
public:
  explicit sliding_rate(uint32_t per_sec = 10) : per_sec_(per_sec) {}
  // As if `per_sec` sends had just gone: a fresh process cannot add to what
  // the one before it sent in its last second.
  void fill(int64_t now_ms);
  // Grants up to `want` sends now.
  uint32_t take(uint32_t want, int64_t now_ms);
  // How long until take() can grant one (0: now).
  int64_t wait_ms(int64_t now_ms);

private:
  void forget(int64_t slot);
  uint32_t per_sec_;
  std::deque<std::pair<int64_t, uint32_t>> slots_; // slot number, sends; oldest first
  uint64_t used_ = 0;
};

const char* to_string(persistence::breaker_phase p); // "closed", "open", "half_open"

class local_admission {
public:
  local_admission(persistence::sink_limits limits, int64_t now_ms,
                  persistence::breaker_record saved = {});
  persistence::admission acquire(uint32_t want, int64_t now_ms);
  // What became of a granted send; the answer carries the new breaker state.
  persistence::admission report(persistence::send_result result, bool probe, int64_t now_ms);
  const persistence::breaker_record& breaker() const { return breaker_; }

private:
  persistence::sink_limits limits_;
  sliding_rate rate_;
  persistence::breaker_record breaker_;
};

} // namespace herald
