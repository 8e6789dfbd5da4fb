#include "actors/delivery_policy.hpp"

#include <algorithm>

namespace herald {

ms retry_delay(uint32_t attempt, ms base, ms max, double spread) {
  auto shift = std::min<uint32_t>(attempt == 0 ? 0 : attempt - 1, 30);
  double plain =
      std::min<double>(double(base.count()) * double(1ull << shift), double(max.count()));
  double jittered = plain * (0.8 + 0.4 * std::clamp(spread, 0.0, 1.0));
  return ms(int64_t(std::min<double>(jittered, double(max.count()))));
}

token_bucket::token_bucket(double rate, int64_t now_ms)
    : rate_(rate), tokens_(rate), last_ms_(now_ms) {}

void token_bucket::refill(int64_t now_ms) {
  if (now_ms > last_ms_) {
    tokens_ = std::min(rate_, tokens_ + rate_ * double(now_ms - last_ms_) / 1000.0);
    last_ms_ = now_ms;
  }
}

bool token_bucket::take(int64_t now_ms) {
  refill(now_ms);
  if (tokens_ < 1.0)
    return false;
  tokens_ -= 1.0;
  return true;
}

ms token_bucket::wait(int64_t now_ms) {
  refill(now_ms);
  if (tokens_ >= 1.0)
    return ms(0);
  return ms(int64_t((1.0 - tokens_) * 1000.0 / rate_) + 1);
}

const char* to_string(breaker_state s) {
  switch (s) {
    case breaker_state::closed:
      return "closed";
    case breaker_state::open:
      return "open";
    case breaker_state::half_open:
      return "half_open";
  }
  return "?";
}

circuit_breaker::circuit_breaker(uint32_t failures, ms cooldown)
    : threshold_(std::max<uint32_t>(1, failures)), cooldown_(cooldown) {}

breaker_state circuit_breaker::state(int64_t now_ms) const {
  if (state_ == breaker_state::open && now_ms >= reopens_at_ms())
    return breaker_state::half_open;
  return state_;
}

bool circuit_breaker::allow(int64_t now_ms) {
  state_ = state(now_ms);
  switch (state_) {
    case breaker_state::closed:
      return true;
    case breaker_state::open:
      return false;
    case breaker_state::half_open:
      if (probe_out_)
        return false;
      probe_out_ = true;
      return true;
  }
  return false;
}

void circuit_breaker::release() {
  probe_out_ = false;
}

void circuit_breaker::on_success() {
  state_ = breaker_state::closed;
  failures_ = 0;
  probe_out_ = false;
}

void circuit_breaker::on_failure(int64_t now_ms) {
  probe_out_ = false;
  ++failures_;
  if (state_ == breaker_state::half_open || failures_ >= threshold_) {
    if (state_ != breaker_state::open)
      ++opened_;
    state_ = breaker_state::open;
    opened_at_ms_ = now_ms;
  }
}

} // namespace herald
