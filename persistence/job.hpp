#pragma once
// An outbound notification job as the store keeps it (docs/operations.md: at least
// once, across crashes). States: waiting (due now), delayed (due at
// run_at), active (leased to a notifier until lease_until; a lease that
// runs out makes the job due again: a stalled job), dead (in the DLQ).
#include <cstdint>
#include <string>

namespace herald::persistence {

enum class job_state { waiting = 0, delayed = 1, active = 2, dead = 3 };
// Due jobs of a sink are claimed high first, then normal, then low.
enum class job_priority { high = 0, normal = 1, low = 2 };

struct job {
  std::string id;
  std::string sink;
  std::string to;
  std::string text;
  std::string data = "{}"; // JSON text
  uint32_t attempts = 0;   // attempts made so far
  job_state state = job_state::waiting;
  int64_t created_ms = 0;
  int64_t run_at_ms = 0;
  int64_t lease_until_ms = 0;
  int64_t failed_at_ms = 0;
  std::string last_error;
  int64_t expires_at_ms = 0; // not delivered by then: to the DLQ as "expired"; 0: never
  std::string dedupe_key;    // held (as an idempotency key) until the job is finished or dead
  job_priority priority = job_priority::normal;
  // An escalation's job: the user event it escalates, sent only if that
  // event is not acked when the job is due.
  std::string escalates;
};

// The idempotency key a job's dedupe_key is held under.
inline std::string dedupe_hold(const job& j) {
  return "notify:" + j.sink + ":" + j.dedupe_key;
}

struct job_counts {
  uint64_t waiting = 0;
  uint64_t delayed = 0;
  uint64_t active = 0;
  uint64_t dead = 0;
};

} // namespace herald::persistence
