#pragma once
// The last N event frames of a session, kept so a client that lost its socket
// can resume with exactly the frames it missed.
#include "actors/frame_sink.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace herald {

class resume_buffer {
public:
  explicit resume_buffer(size_t capacity = 0) : capacity_(capacity) {}

  // Keeps the frame with sequence number `seq` (seqs must rise by one); drops the oldest when full.
  void push(uint64_t seq, shared_bytes tail);

  // True when every frame after `last_seq` up to `current_seq` is still held.
  bool covers(uint64_t last_seq, uint64_t current_seq) const;

  // The frames with seq > last_seq, oldest first.
  std::vector<std::pair<uint64_t, shared_bytes>> after(uint64_t last_seq) const;

  size_t size() const { return frames_.size(); }

  // Starts loading the slot the next push writes (a cache hint only).
  void prefetch_next() const {
    __builtin_prefetch(frames_.data() + (frames_.size() < capacity_ ? frames_.size() : start_), 1);
  }

private:
  // A ring that allocates only as frames arrive: an idle session holds nothing.
  const std::pair<uint64_t, shared_bytes>& oldest() const { return frames_[start_]; }
  size_t capacity_;
  size_t start_ = 0;
  std::vector<std::pair<uint64_t, shared_bytes>> frames_;
};

} // namespace herald
