#pragma once
// What every Herald actor says about itself for /api/v1/actors, /metrics and
// the console: Observer-style numbers in Herald's own terms.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald {

// Messages handled and their rate; kept in an actor's state, handlers count
// themselves in it. (Sessions, by the thousand, keep only this.)
struct rate_meter {
  uint64_t processed = 0;
  // For a per-second rate between two reports.
  uint64_t last_processed = 0;
  std::chrono::steady_clock::time_point last_report = std::chrono::steady_clock::now();

  double last_rate = 0;

  // Messages per second over the last window of at least a second: readers
  // that come more often (the console feed, API calls) see the same figure
  // instead of shortening each other's windows.
  double per_second() {
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - last_report).count();
    if (secs < 1.0)
      return last_rate;
    last_rate = double(processed - last_processed) / secs;
    last_processed = processed;
    last_report = now;
    return last_rate;
  }
};

// What a supervisor or a long-lived actor also keeps.
struct actor_meter : rate_meter {
  uint64_t failures = 0;
  uint64_t restarts = 0;
  std::string last_error;
};

struct actor_info {
  std::string name;   // e.g. "registry", "session s-…", "notifier ops-webhook"
  std::string kind;   // registry, session, inbox, queue, notifier, dlq
  std::string parent; // the supervisor's name; empty for roots
  uint64_t mailbox = 0;
  uint64_t processed = 0;
  double per_second = 0;
  uint64_t failures = 0;
  uint64_t restarts = 0;
  std::string state; // e.g. "running", "attached", "detached", breaker state for notifiers
  std::string last_error;
  // Sessions only.
  std::string user;
  std::vector<std::string> channels;
  std::optional<std::chrono::system_clock::time_point> last_seen;
  uint64_t outbound = 0; // frames queued for the socket
};

// The part every actor fills the same way.
inline actor_info metered_info(std::string name, std::string kind, std::string parent,
                               uint64_t mailbox, rate_meter& meter) {
  actor_info out;
  out.name = std::move(name);
  out.kind = std::move(kind);
  out.parent = std::move(parent);
  out.mailbox = mailbox;
  out.processed = meter.processed;
  out.per_second = meter.per_second();
  return out;
}

inline actor_info metered_info(std::string name, std::string kind, std::string parent,
                               uint64_t mailbox, actor_meter& meter) {
  auto out = metered_info(std::move(name), std::move(kind), std::move(parent), mailbox,
                          static_cast<rate_meter&>(meter));
  out.failures = meter.failures;
  out.restarts = meter.restarts;
  out.last_error = meter.last_error;
  return out;
}

} // namespace herald
