#pragma once
// The last N event frames of a session, kept so a client that lost its socket
// can resume with exactly the frames it missed.
#include "actors/frame_sink.hpp"

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace herald {

class resume_buffer {
public:
  explicit resume_buffer(size_t capacity) : capacity_(capacity) {}

  // Keeps the frame with sequence number `seq` (seqs must rise by one); drops the oldest when full.
  void push(uint64_t seq, shared_bytes tail);

  // True when every frame after `last_seq` up to `current_seq` is still held.
  bool covers(uint64_t last_seq, uint64_t current_seq) const;

  // The frames with seq > last_seq, oldest first.
  std::vector<std::pair<uint64_t, shared_bytes>> after(uint64_t last_seq) const;

  size_t size() const { return frames_.size(); }

private:
  size_t capacity_;
  std::deque<std::pair<uint64_t, shared_bytes>> frames_;
};

} // namespace herald
