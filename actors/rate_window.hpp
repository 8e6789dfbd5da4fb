#pragma once
// Inbound frame rate limit of one session: at most `per_sec` frames in each
// one-second window; a client over the limit in every window for
// `close_after` is to be disconnected.
#include <cstdint>

namespace herald {

enum class rate_verdict {
  accept,       // within the limit
  reject_first, // over the limit, first time in this window: tell the client
  reject,       // over the limit again in this window: drop silently
  disconnect,   // over the limit continuously for close_after
};

class rate_window {
public:
  rate_window(uint64_t per_sec = 0, int64_t close_after_ns = 0)
      : per_sec_(per_sec), close_after_ns_(close_after_ns) {}

  // Counts `frames` (one by default) arriving at `now_ns` (monotonic).
  rate_verdict on_frame(int64_t now_ns, uint64_t frames = 1);

private:
  static constexpr int64_t window_ns = 1'000'000'000;
  uint64_t per_sec_;
  int64_t close_after_ns_;
  int64_t window_start_ = INT64_MIN;
  uint64_t count_ = 0;
  int64_t over_since_ = -1; // start of the first of the consecutive over-limit windows
  int64_t last_over_window_ = INT64_MIN;
};

} // namespace herald
