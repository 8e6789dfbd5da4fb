#include "actors/resume_buffer.hpp"

namespace herald {

void resume_buffer::push(uint64_t seq, shared_bytes tail) {
  if (capacity_ == 0)
    return;
  if (frames_.size() < capacity_) {
    frames_.emplace_back(seq, std::move(tail));
    return;
  }
  frames_[start_] = {seq, std::move(tail)};
  if (++start_ == capacity_)
    start_ = 0;
}

bool resume_buffer::covers(uint64_t last_seq, uint64_t current_seq) const {
  if (last_seq > current_seq)
    return false;
  if (last_seq == current_seq)
    return true;
  return !frames_.empty() && oldest().first <= last_seq + 1;
}

std::vector<std::pair<uint64_t, shared_bytes>> resume_buffer::after(uint64_t last_seq) const {
  std::vector<std::pair<uint64_t, shared_bytes>> out;
  for (size_t i = 0; i < frames_.size(); ++i) {
    auto& f = frames_[(start_ + i) % frames_.size()];
    if (f.first > last_seq)
      out.push_back(f);
  }
  return out;
}

} // namespace herald
