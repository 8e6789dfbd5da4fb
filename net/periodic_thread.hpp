#pragma once
// A thread that runs `tick` at once and then every `every` until stop():
// for the work that waits on answers (node reports, the console feed), so
// it blocks no I/O thread and no actor.
#include "config/contain.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace herald::net {

class periodic_thread {
public:
  periodic_thread(std::chrono::milliseconds every, std::function<void()> tick)
      : every_(every), tick_(std::move(tick)), thread_([this] { loop(); }) {}
  ~periodic_thread() { stop(); }
  periodic_thread(const periodic_thread&) = delete;
  periodic_thread& operator=(const periodic_thread&) = delete;

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }

private:
  // At a fixed rate: a tick that takes part of the period does not push the
  // next one back; one that overran starts the next at once, without catch-up.
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    auto next = std::chrono::steady_clock::now();
    while (!stopping_) {
      lock.unlock();
      contain("periodic", tick_);
      lock.lock();
      next = std::max(next + every_, std::chrono::steady_clock::now());
      wake_.wait_until(lock, next, [&] { return stopping_; });
    }
  }

  std::chrono::milliseconds every_;
  std::function<void()> tick_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_; // last: starts once everything above exists
};

} // namespace herald::net
