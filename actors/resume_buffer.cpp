#include "actors/resume_buffer.hpp"

namespace herald {

resume_buffer::~resume_buffer() {
  release_all();
}

resume_buffer::resume_buffer(resume_buffer&& other) noexcept
    : head_(other.head_), tail_(other.tail_), oldest_seq_(other.oldest_seq_),
      capacity_(other.capacity_), size_(other.size_), head_at_(other.head_at_),
      tail_used_(other.tail_used_) {
  other.head_ = other.tail_ = nullptr;
  other.size_ = 0;
  other.head_at_ = other.tail_used_ = 0;
}

resume_buffer& resume_buffer::operator=(resume_buffer&& other) noexcept {
  if (this != &other) {
    release_all();
    head_ = other.head_;
    tail_ = other.tail_;
    oldest_seq_ = other.oldest_seq_;
    capacity_ = other.capacity_;
    size_ = other.size_;
    head_at_ = other.head_at_;
    tail_used_ = other.tail_used_;
    other.head_ = other.tail_ = nullptr;
    other.size_ = 0;
    other.head_at_ = other.tail_used_ = 0;
  }
  return *this;
}

void resume_buffer::release_all() {
  while (head_) {
    auto next = head_->next;
    delete head_;
    head_ = next;
  }
  tail_ = nullptr;
}

resume_buffer::chunk* resume_buffer::drop_oldest() {
  head_->slots[head_at_].reset();
  ++oldest_seq_;
  --size_;
  if (++head_at_ < chunk_slots)
    return nullptr;
  auto emptied = head_;
  head_ = emptied->next;
  head_at_ = 0;
  if (!head_) {
    tail_ = nullptr;
    tail_used_ = 0;
  }
  emptied->next = nullptr;
  return emptied;
}

void resume_buffer::push(uint64_t seq, shared_bytes tail) {
  if (capacity_ == 0)
    return;
  chunk* spare = size_ == capacity_ ? drop_oldest() : nullptr;
  if (!tail_ || tail_used_ == chunk_slots) {
    auto fresh = spare ? spare : new chunk;
    spare = nullptr;
    if (tail_)
      tail_->next = fresh;
    else
      head_ = fresh;
    tail_ = fresh;
    tail_used_ = 0;
  }
  delete spare; // emptied, but the newest chunk still has room
  if (size_ == 0)
    oldest_seq_ = seq;
  tail_->slots[tail_used_++] = std::move(tail);
  ++size_;
}

bool resume_buffer::covers(uint64_t last_seq, uint64_t current_seq) const {
  if (last_seq > current_seq)
    return false;
  if (last_seq == current_seq)
    return true;
  return size_ > 0 && oldest_seq_ <= last_seq + 1;
}

std::vector<std::pair<uint64_t, shared_bytes>> resume_buffer::after(uint64_t last_seq) const {
  std::vector<std::pair<uint64_t, shared_bytes>> out;
  auto c = head_;
  auto at = head_at_;
  for (uint32_t i = 0; i < size_; ++i) {
    if (oldest_seq_ + i > last_seq)
      out.emplace_back(oldest_seq_ + i, c->slots[at]);
    if (++at == chunk_slots) {
      c = c->next;
      at = 0;
    }
  }
  return out;
}

size_t resume_buffer::chunks() const {
  size_t n = 0;
  for (auto c = head_; c; c = c->next)
    ++n;
  return n;
}

} // namespace herald
