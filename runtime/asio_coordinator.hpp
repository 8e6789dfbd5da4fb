#pragma once
// CAF's scheduler on Asio's threads. While the server lends its io_context,
// actors run on the threads that also read and write the sockets: a frame
// read from a client reaches its session actor, and the session's answer
// reaches the socket, without waking another thread (on a one-core machine
// every such hop is a context switch). Before the server starts and after it
// stops, actors run on a thread of the coordinator's own, so the actor system
// can start up and shut down without the network.
//
// Detached actors (the registry) keep their own threads, as with any CAF
// scheduler. Actors never block (docs/architecture.md: blocking work has threads of its
// own), so running them on I/O threads keeps those threads responsive.
#include "runtime/io_lender.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace herald {

class asio_coordinator final : public caf::scheduler::abstract_coordinator, public io_lender {
public:
  explicit asio_coordinator(caf::actor_system& sys);
  ~asio_coordinator() override;

  // Makes the actor system built from `cfg` use this scheduler.
  static void install(caf::actor_system_config& cfg);
  // The system's scheduler, if it is one of these.
  static asio_coordinator* of(caf::actor_system& sys);

  void lend(boost::asio::io_context& ioc, size_t threads) override;
  void take_back() override;

  void enqueue(caf::resumable* ptr) override;
  caf::detail::thread_safe_actor_clock& clock() noexcept override { return clock_; }

protected:
  void start() override;
  void stop() override;

private:
  class unit;
  struct runner;
  // Jobs wait in one queue; a few runners (one per thread of the target
  // io_context) each run a slice of them and post themselves again behind
  // whatever the network queued meanwhile, so a large fan-out never holds
  // up reads, writes and HTTP answers for its whole length.
  void post_runner_locked();
  // Counts a runner about to be posted; returns where it goes.
  boost::asio::io_context* count_runner_locked();
  void run_slice(boost::asio::io_context* where);

  caf::detail::thread_safe_actor_clock clock_;
  std::thread clock_thread_;
  boost::asio::io_context own_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      own_work_;
  std::thread own_thread_;
  std::unique_ptr<unit> unit_;
  std::mutex mutex_;
  std::deque<caf::resumable*> jobs_;
  boost::asio::io_context* target_ = nullptr; // where runners go; null: own_
  size_t target_threads_ = 1;
  size_t runners_ = 0;         // posted or running, anywhere
  size_t runners_on_lent_ = 0; // of those, on the lent io_context
  std::condition_variable lent_idle_;
};

} // namespace herald
