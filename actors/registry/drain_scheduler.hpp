#pragma once
// When the registry delivers what was published: the corking heuristic, the
// bound on drains in flight and the trimming of pooled fan-out elements,
// with no actor in it. Every call takes the time (steady ns), so tests drive
// it with a hand-made clock (tests/unit/drain_scheduler_test.cpp); the
// registry turns each answer into a message to itself.
//
//   publish ──► idle? ──yes──► drain now
//                 │no (a stream from several publishers)
//                 └──► drain after the cork window (publishes travel together)
//   drain ──► in flight (≤ batches_in_flight) ──every session took it──► drained
//   drained, nothing pending, idle for trim_after ──► trim pooled elements, a slice at a time
#include <cstdint>

namespace herald {

class drain_scheduler {
public:
  // A publish within this long of the previous drain belongs to a stream.
  static constexpr int64_t stream_gap_ns = 20'000'000;
  // How long a publish of a stream waits for the next ones.
  static constexpr int64_t cork_window_ns = 300'000;
  // Idle this long, the registry trims the pooled fan-out elements.
  static constexpr int64_t trim_after_ns = 1'000'000'000;

  explicit drain_scheduler(uint32_t batches_in_flight = 4) : max_in_flight_(batches_in_flight) {}

  // What to do about a drain.
  enum class drain_order { none, now, after_cork_window };
  // What to do about trimming.
  struct trim_order {
    bool trim_now = false;   // free a slice now (and ask again after it)
    int64_t retry_in_ns = 0; // > 0: ask again after this long
  };

  // A publish joined the pending ones.
  drain_order on_publish(int64_t now);
  // A drain message arrived; true: deliver the pending publishes now (the
  // drain is then in flight until on_drained).
  bool on_drain(int64_t now, bool pending);
  // Every session let go of one drain. `pending`: publishes wait.
  struct after_drained {
    drain_order drain = drain_order::none;
    int64_t trim_in_ns = 0; // > 0: send a trim message after this long
  };
  after_drained on_drained(bool pending);
  // The trim message arrived.
  trim_order on_trim(int64_t now);
  // A trim slice was made and more could be freed: a trim message goes at once.
  void trim_continues() { trim_scheduled_ = true; }

  uint32_t in_flight() const { return in_flight_; }
  bool streaming() const { return streaming_; }
  int64_t last_drain_ns() const { return last_drain_ns_; }

private:
  drain_order schedule(bool at_once);
  int64_t schedule_trim(int64_t in_ns);

  uint32_t max_in_flight_;
  uint32_t in_flight_ = 0; // drains some session has not yet taken
  bool drain_scheduled_ = false;
  int64_t last_drain_ns_ = INT64_MIN / 2;
  // Whether publishes arrived while drains were in flight, since the last
  // moment none was; `streaming_` keeps the answer of the last such spell.
  // A publisher that waits for each answer before the next publish never
  // adds to it, so its publishes are not corked.
  bool published_while_busy_ = false;
  bool streaming_ = false;
  bool trim_scheduled_ = false; // a trim message is on its way
};

} // namespace herald
