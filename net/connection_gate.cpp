#include "net/connection_gate.hpp"

namespace herald::net {

connection_gate::ip_slot connection_gate::admit(const boost::asio::ip::address& addr) {
  static const auto unlimited = std::make_shared<int>(0);
  if (max_per_ip_ == 0)
    return unlimited;
  auto key = addr.to_string();
  std::lock_guard<std::mutex> lock(mutex_);
  auto& count = per_ip_[key];
  if (count >= max_per_ip_) {
    ++refused_per_ip_;
    return nullptr;
  }
  ++count;
  std::weak_ptr<connection_gate> gate = shared_from_this();
  // Points at the gate only to be non-null; the deleter gives the place back.
  return std::shared_ptr<void>(static_cast<void*>(this), [gate, key](void*) {
    if (auto g = gate.lock()) {
      std::lock_guard<std::mutex> lock(g->mutex_);
      auto it = g->per_ip_.find(key);
      if (it != g->per_ip_.end() && --it->second == 0)
        g->per_ip_.erase(it);
    }
  });
}

connection_gate::ticket connection_gate::waiting(std::function<void()> evict) {
  auto t = std::make_shared<entry>();
  t->evict = std::move(evict);
  std::function<void()> oldest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_count_ >= max_pending_ && !pending_.empty()) {
      auto& first = pending_.front();
      first->listed = false;
      oldest = std::move(first->evict);
      pending_.pop_front();
      --pending_count_;
      ++evicted_;
    }
    t->at = pending_.insert(pending_.end(), t);
    t->listed = true;
    ++pending_count_;
  }
  if (oldest)
    oldest();
  return t;
}

void connection_gate::finished(const ticket& t) {
  if (!t)
    return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!t->listed)
    return; // evicted: its place is gone already
  t->listed = false;
  pending_.erase(t->at); // drops the list's reference; the caller still holds one
  --pending_count_;
}

uint64_t connection_gate::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_count_;
}
uint64_t connection_gate::evicted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return evicted_;
}
uint64_t connection_gate::refused_per_ip() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refused_per_ip_;
}

} // namespace herald::net
