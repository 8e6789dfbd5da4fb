#pragma once
// A sum that many threads add to without atomic read-modify-write: each
// thread writes only a part of its own (a plain load and store), and a reader
// adds the parts up. For counters bumped once per frame on the write path,
// where a locked add would cost more than the work it counts.
#include <array>
#include <atomic>
#include <cstdint>
#include <thread>

namespace herald {

namespace detail {
uint64_t next_parts_instance();
} // namespace detail

// Adds `by` to a counter only the calling thread writes.
inline void bump_own(std::atomic<uint64_t>& counter, uint64_t by) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// Part: default-constructible, with atomic fields that readers load relaxed.
template <class Part> class per_thread_parts {
public:
  per_thread_parts() : instance_(detail::next_parts_instance()) {}
  ~per_thread_parts() {
    for (auto n = nodes_.load(); n;) {
      auto next = n->next;
      delete n;
      n = next;
    }
  }
  per_thread_parts(const per_thread_parts&) = delete;
  per_thread_parts& operator=(const per_thread_parts&) = delete;

  // The calling thread's part (made on its first use).
  Part& local() {
    // Each thread remembers its parts of a few objects (of this Part type),
    // by instance number, not address: a new object may live where an
    // earlier one did. Objects made one after another get different slots.
    struct slot {
      uint64_t instance = 0;
      Part* part = nullptr;
    };
    thread_local std::array<slot, 8> cache;
    auto& s = cache[instance_ % cache.size()];
    if (s.instance != instance_)
      s = {instance_, &find_or_add(std::this_thread::get_id())};
    return *s.part;
  }

  template <class F> void for_each(F f) const {
    for (auto n = nodes_.load(std::memory_order_acquire); n; n = n->next)
      f(n->part);
  }

private:
  struct node {
    Part part;
    std::thread::id owner;
    node* next = nullptr;
  };

  Part& find_or_add(std::thread::id me) {
    for (auto n = nodes_.load(std::memory_order_acquire); n; n = n->next)
      if (n->owner == me)
        return n->part; // an ended thread's id, reused: its part has one writer again
    auto n = new node;
    n->owner = me;
    n->next = nodes_.load(std::memory_order_relaxed);
    while (!nodes_.compare_exchange_weak(n->next, n, std::memory_order_release,
                                         std::memory_order_relaxed)) {
    }
    return n->part;
  }

  const uint64_t instance_;
  std::atomic<node*> nodes_{nullptr};
};

// A counter with the reading side of std::atomic<uint64_t> (load) and cheap adds.
class thread_counter {
public:
  thread_counter& operator++() {
    bump_own(parts_.local().value, 1);
    return *this;
  }
  thread_counter& operator+=(uint64_t n) {
    bump_own(parts_.local().value, n);
    return *this;
  }
  uint64_t load() const {
    uint64_t sum = 0;
    parts_.for_each([&](const part& p) { sum += p.value.load(std::memory_order_relaxed); });
    return sum;
  }

private:
  struct part {
    std::atomic<uint64_t> value{0};
  };
  per_thread_parts<part> parts_;
};

} // namespace herald
