#pragma once
// A sink's rate limit and circuit breaker as plain values: what a notifier
// asks before it sends (an admission), what it reports after, and the
// breaker's state as a store keeps it. The same rules run in the process
// (actors/sink_admission.hpp; SQLite and memory) and in one Redis script
// shared by every node (redis_limits.cpp).
//
// The rate limit counts sends in slots of rate_slot_ms and grants a send
// only while the last rate_span_slots slots (the current one included) hold
// fewer than rate_per_sec. Any window of (span - 1) slots, 1.08 s, thus
// holds at most rate_per_sec sends, which leaves 80 ms for the time between
// a grant and the request reaching the sink to vary. A sustained sender
// gets rate_per_sec * 1000 / 1100 per second.
#include <cstdint>

namespace herald::persistence {

constexpr int64_t rate_slot_ms = 20;
constexpr int64_t rate_span_slots = 55;

struct sink_limits {
  uint32_t rate_per_sec = 10;
  uint32_t breaker_failures = 5;  // consecutive failures that open it
  int64_t cooldown_ms = 30000;    // open this long, then one probe
  int64_t probe_lease_ms = 10000; // a probe not reported by then (its node died): another may go
};

enum class breaker_phase : int { closed = 0, open = 1, half_open = 2 };

struct breaker_record {
  breaker_phase phase = breaker_phase::closed;
  uint32_t failures = 0; // consecutive, over every node
  int64_t until_ms = 0;  // open: the next probe may go then; half-open: the probe's lease ends then
};

struct admission {
  uint32_t granted = 0;    // sends that may go now (used at once, or not at all)
  int64_t retry_in_ms = 0; // none granted: ask again after this long
  bool probe = false;      // the one granted is the half-open breaker's probe
  breaker_record breaker;
};

enum class send_result { delivered, failed, neutral }; // neutral: 429, or never sent

} // namespace herald::persistence
