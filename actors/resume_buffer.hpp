#pragma once
// The last N event frames of a session, kept so a client that lost its socket
// can resume with exactly the frames it missed.
#include "actors/frame_sink.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace herald {

// A ring of fixed-size chunks that allocates only as frames arrive: an idle
// session holds nothing, a growing one adds a chunk at a time (no doubling,
// no copying what it holds), and a full one reuses its oldest chunk. Seqs
// rise by one, so only the oldest is stored.
class resume_buffer {
public:
  explicit resume_buffer(size_t capacity = 0) : capacity_(static_cast<uint32_t>(capacity)) {}
  ~resume_buffer();
  resume_buffer(resume_buffer&& other) noexcept;
  resume_buffer& operator=(resume_buffer&& other) noexcept;
  resume_buffer(const resume_buffer&) = delete;
  resume_buffer& operator=(const resume_buffer&) = delete;

  // Keeps the frame with sequence number `seq` (seqs must rise by one); drops the oldest when full.
  void push(uint64_t seq, shared_bytes tail);

  // True when every frame after `last_seq` up to `current_seq` is still held.
  bool covers(uint64_t last_seq, uint64_t current_seq) const;

  // The frames with seq > last_seq, oldest first.
  std::vector<std::pair<uint64_t, shared_bytes>> after(uint64_t last_seq) const;

  size_t size() const { return size_; }
  // Chunks held (for tests of the memory bound).
  size_t chunks() const;

  // Starts loading the slots the next push writes and drops (a cache hint only).
  void prefetch_next() const {
    if (tail_ && tail_used_ < chunk_slots)
      __builtin_prefetch(&tail_->slots[tail_used_], 1);
    if (head_ && size_ == capacity_)
      __builtin_prefetch(&head_->slots[head_at_], 1);
  }

private:
  static constexpr uint16_t chunk_slots = 16;
  struct chunk {
    shared_bytes slots[chunk_slots];
    chunk* next = nullptr;
  };
  // Lets go of the oldest frame; returns its chunk once that chunk is empty.
  chunk* drop_oldest();
  void release_all();

  chunk* head_ = nullptr; // the oldest frames, from head_at_ on
  chunk* tail_ = nullptr; // the newest, up to tail_used_
  uint64_t oldest_seq_ = 0;
  uint32_t capacity_;
  uint32_t size_ = 0;
  uint16_t head_at_ = 0;
  uint16_t tail_used_ = 0;
};

} // namespace herald
