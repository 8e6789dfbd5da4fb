#include "actors/resume_buffer.hpp"

namespace herald {

void resume_buffer::push(uint64_t seq, shared_bytes tail) {
  if (capacity_ == 0)
    return;
  if (frames_.size() == capacity_)
    frames_.pop_front();
  frames_.emplace_back(seq, std::move(tail));
}

bool resume_buffer::covers(uint64_t last_seq, uint64_t current_seq) const {
  if (last_seq > current_seq)
    return false;
  if (last_seq == current_seq)
    return true;
  return !frames_.empty() && frames_.front().first <= last_seq + 1;
}

std::vector<std::pair<uint64_t, shared_bytes>> resume_buffer::after(uint64_t last_seq) const {
  std::vector<std::pair<uint64_t, shared_bytes>> out;
  for (auto& f : frames_)
    if (f.first > last_seq)
      out.push_back(f);
  return out;
}

} // namespace herald
