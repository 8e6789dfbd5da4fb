#pragma once
// The per-sink rules of outbound delivery, as plain values on a clock the
// caller passes in (so tests need no sleeping): retry backoff, the token
// bucket, the circuit breaker.
#include <chrono>
#include <cstdint>

namespace herald {

using ms = std::chrono::milliseconds;

// Retry n (n >= 1) waits base * 2^(n-1), capped at max, spread by jitter:
// `spread` in [0, 1) picks a point between 80% and 120% of that (capped again).
ms retry_delay(uint32_t attempt, ms base, ms max, double spread);

// Capacity `rate` tokens, refilled at `rate` per second.
class token_bucket {
public:
  explicit token_bucket(double rate = 10, int64_t now_ms = 0);
  bool take(int64_t now_ms);
  // How long until a token is there (0 when one is).
  ms wait(int64_t now_ms);

private:
  void refill(int64_t now_ms);
  double rate_;
  double tokens_;
  int64_t last_ms_;
};

enum class breaker_state { closed, open, half_open };
const char* to_string(breaker_state s);

// Opens after `failures` consecutive failures; after `cooldown` lets one
// probe through (half-open); the probe's success closes it, its failure
// opens it again.
class circuit_breaker {
public:
  circuit_breaker(uint32_t failures = 5, ms cooldown = ms(30000));
  // May a request go now? Half-open allows one at a time.
  bool allow(int64_t now_ms);
  void on_success();
  void on_failure(int64_t now_ms);
  // Releases a probe that was allowed but never sent.
  void release();
  breaker_state state(int64_t now_ms) const;
  // When an open breaker lets the next probe through.
  int64_t reopens_at_ms() const { return opened_at_ms_ + cooldown_.count(); }
  uint32_t consecutive_failures() const { return failures_; }
  uint64_t opened_count() const { return opened_; }

private:
  uint32_t threshold_;
  ms cooldown_;
  breaker_state state_ = breaker_state::closed;
  uint32_t failures_ = 0;
  int64_t opened_at_ms_ = 0;
  bool probe_out_ = false;
  uint64_t opened_ = 0;
};

} // namespace herald
