#include "actors/registry/drain_scheduler.hpp"

namespace herald {

drain_scheduler::drain_order drain_scheduler::schedule(bool at_once) {
  if (drain_scheduled_ || in_flight_ >= max_in_flight_)
    return drain_order::none; // the drain on its way, or the next `drained`, takes them
  drain_scheduled_ = true;
  return at_once ? drain_order::now : drain_order::after_cork_window;
}

// Idle: deliver at once. Under a stream of publishes from several
// publishers: wait a moment so the publishes of the next fraction of a
// millisecond travel together (one message per session, one socket write per
// batch).
drain_scheduler::drain_order drain_scheduler::on_publish(int64_t now) {
  if (in_flight_ > 0)
    published_while_busy_ = true;
  bool idle = now - last_drain_ns_ > stream_gap_ns || (in_flight_ == 0 && !streaming_);
  return schedule(idle);
}

bool drain_scheduler::on_drain(int64_t now, bool pending) {
  drain_scheduled_ = false;
  if (!pending || in_flight_ >= max_in_flight_)
    return false;
  last_drain_ns_ = now;
  ++in_flight_;
  return true;
}

drain_scheduler::after_drained drain_scheduler::on_drained(bool pending) {
  after_drained out;
  if (in_flight_ > 0 && --in_flight_ == 0) {
    streaming_ = published_while_busy_;
    published_while_busy_ = false;
  }
  if (pending)
    out.drain = schedule(true); // these have waited already
  else if (in_flight_ == 0)
    out.trim_in_ns = schedule_trim(trim_after_ns);
  return out;
}

int64_t drain_scheduler::schedule_trim(int64_t in_ns) {
  if (trim_scheduled_)
    return 0;
  trim_scheduled_ = true;
  return in_ns;
}

drain_scheduler::trim_order drain_scheduler::on_trim(int64_t now) {
  trim_scheduled_ = false;
  if (in_flight_ > 0)
    return {}; // the drain's `drained` schedules the next try
  if (auto idle = now - last_drain_ns_; idle < trim_after_ns)
    return {false, schedule_trim(trim_after_ns - idle)};
  return {true, 0};
}

} // namespace herald
