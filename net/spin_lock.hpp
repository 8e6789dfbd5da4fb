#pragma once
// A one-byte lock for critical sections of a few instructions that are
// taken by the thousand (one per connection): std::mutex costs 40 bytes a
// connection. Spins briefly, then yields the core, so a holder preempted on
// a one-core machine gets it back.
#include <atomic>
#include <sched.h>

namespace herald::net {

class spin_lock {
public:
  void lock() noexcept {
    for (int spins = 0; flag_.test_and_set(std::memory_order_acquire); ++spins)
      if (spins >= 64)
        sched_yield();
  }
  void unlock() noexcept { flag_.clear(std::memory_order_release); }

private:
  std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

} // namespace herald::net
