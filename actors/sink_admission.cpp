#include "actors/sink_admission.hpp"

#include <algorithm>

namespace herald {

using persistence::breaker_phase;
using persistence::rate_slot_ms;
using persistence::rate_span_slots;

const char* to_string(breaker_phase p) {
  switch (p) {
    case breaker_phase::closed:
      return "closed";
    case breaker_phase::open:
      return "open";
    case breaker_phase::half_open:
      return "half_open";
  }
  return "?";
}

void sliding_rate::forget(int64_t slot) {
  while (!slots_.empty() && slots_.front().first <= slot - rate_span_slots) {
    used_ -= slots_.front().second;
    slots_.pop_front();
  }
}

void sliding_rate::fill(int64_t now_ms) {
  slots_.clear();
  slots_.emplace_back(now_ms / rate_slot_ms, per_sec_);
  used_ = per_sec_;
}

uint32_t sliding_rate::take(uint32_t want, int64_t now_ms) {
  auto slot = now_ms / rate_slot_ms;
  forget(slot);
  auto room = used_ < per_sec_ ? per_sec_ - used_ : 0;
  auto granted = uint32_t(std::min<uint64_t>(want, room));
  if (granted == 0)
    return 0;
  if (slots_.empty() || slots_.back().first != slot)
    slots_.emplace_back(slot, 0);
  slots_.back().second += granted;
  used_ += granted;
  return granted;
}

int64_t sliding_rate::wait_ms(int64_t now_ms) {
  auto slot = now_ms / rate_slot_ms;
  forget(slot);
  if (used_ < per_sec_)
    return 0;
  // Room comes back when the oldest slots leave the span.
  uint64_t freed = 0;
  for (auto& [s, n] : slots_) {
    freed += n;
    if (used_ - freed < per_sec_)
      return std::max<int64_t>(1, (s + rate_span_slots) * rate_slot_ms - now_ms);
  }
  return rate_slot_ms;
}

local_admission::local_admission(persistence::sink_limits limits, int64_t now_ms,
                                 persistence::breaker_record saved)
    : limits_(limits), rate_(std::max<uint32_t>(1, limits.rate_per_sec)), breaker_(saved) {
  limits_.breaker_failures = std::max<uint32_t>(1, limits_.breaker_failures);
  rate_.fill(now_ms);
}

persistence::admission local_admission::acquire(uint32_t want, int64_t now_ms) {
  persistence::admission out;
  if (breaker_.phase != breaker_phase::closed) {
    if (now_ms < breaker_.until_ms) {
      out.retry_in_ms = breaker_.until_ms - now_ms;
      out.breaker = breaker_;
      return out;
    }
    // Open past its cooldown, or a probe whose report never came: probe now.
    breaker_.phase = breaker_phase::half_open;
    breaker_.until_ms = now_ms + limits_.probe_lease_ms;
    out.probe = true;
    want = std::min<uint32_t>(want, 1);
  }
  out.granted = rate_.take(want, now_ms);
  if (out.granted == 0) {
    out.retry_in_ms = rate_.wait_ms(now_ms);
    if (out.probe) { // the probe waits for the rate too; the next ask gets it
      breaker_.phase = breaker_phase::open;
      breaker_.until_ms = now_ms;
      out.probe = false;
    }
  }
  out.breaker = breaker_;
  return out;
}

persistence::admission local_admission::report(persistence::send_result result, bool probe,
                                               int64_t now_ms) {
  switch (result) {
    case persistence::send_result::delivered:
      breaker_ = {};
      break;
    case persistence::send_result::failed:
      ++breaker_.failures;
      if ((probe && breaker_.phase == breaker_phase::half_open) ||
          (breaker_.phase == breaker_phase::closed &&
           breaker_.failures >= limits_.breaker_failures)) {
        breaker_.phase = breaker_phase::open;
        breaker_.until_ms = now_ms + limits_.cooldown_ms;
      }
      break;
    case persistence::send_result::neutral:
      if (probe && breaker_.phase == breaker_phase::half_open) {
        breaker_.phase = breaker_phase::open;
        breaker_.until_ms = now_ms;
      }
      break;
  }
  persistence::admission out;
  out.breaker = breaker_;
  return out;
}

} // namespace herald
