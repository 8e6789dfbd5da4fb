#include "actors/rate_window.hpp"

namespace herald {

rate_verdict rate_window::on_frame(int64_t now_ns, uint64_t frames) {
  if (window_start_ == INT64_MIN || now_ns - window_start_ >= window_ns) {
    // A window with no over-limit frame between two over-limit ones breaks the streak.
    window_start_ = now_ns;
    count_ = 0;
    if (last_over_window_ == INT64_MIN || now_ns - last_over_window_ >= 2 * window_ns)
      over_since_ = -1;
  }
  count_ += frames;
  if (count_ <= per_sec_)
    return rate_verdict::accept;
  bool first_in_window = last_over_window_ != window_start_;
  last_over_window_ = window_start_;
  if (over_since_ < 0)
    over_since_ = window_start_;
  if (now_ns - over_since_ >= close_after_ns_)
    return rate_verdict::disconnect;
  return first_in_window ? rate_verdict::reject_first : rate_verdict::reject;
}

} // namespace herald
