#pragma once
// What Herald keeps durably, whatever the backend: per-user inboxes of
// events and each user's cursor (the newest event known to have reached one
// of the user's sockets). Every call may block; callers run it on the
// store worker's thread (store_worker.hpp), never on an I/O thread or in an
// actor.
#include "persistence/inbox_pos.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::persistence {

// A backend could not do what was asked (I/O error, Redis down, timeout).
struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct inbox_limits {
  uint64_t max_events = 1000;                // per user; the oldest go first
  std::chrono::milliseconds ttl{24 * 3600 * 1000};
};

struct inbox_item {
  inbox_pos pos;
  std::string event_id;
  std::string tail;  // the encoded event frame after its seq (see actors/event.hpp)
  int64_t created_ms = 0;
};

class store {
public:
  virtual ~store() = default;
  virtual const char* backend() const = 0;

  // Keeps an event in `user`'s inbox (dropping the oldest past max_events)
  // and says where it went. Durable when it returns.
  virtual inbox_pos inbox_append(const std::string& user, const std::string& event_id,
                                 const std::string& tail, int64_t now_ms) = 0;
  // The events newer than the user's cursor and younger than the ttl, oldest first.
  virtual std::vector<inbox_item> inbox_pending(const std::string& user, int64_t now_ms) = 0;
  // Moves the user's cursor to `pos`; never backwards.
  virtual void cursor_advance(const std::string& user, inbox_pos pos) = 0;
  virtual inbox_pos cursor(const std::string& user) = 0;
  // Drops every inbox event older than the ttl.
  virtual void expire(int64_t now_ms) = 0;

  // Several calls in a row may share one transaction (a group commit).
  // `batch_end` makes them durable together; it throws if they are not.
  virtual void batch_begin() {}
  virtual void batch_end() {}
  virtual void batch_abort() {}
};

} // namespace herald::persistence
