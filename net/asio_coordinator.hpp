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
// scheduler. Actors never block (DESIGN: blocking work has threads of its
// own), so running them on I/O threads keeps those threads responsive.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>

namespace herald::net {

class asio_coordinator final : public caf::scheduler::abstract_coordinator {
public:
  explicit asio_coordinator(caf::actor_system& sys);
  ~asio_coordinator() override;

  // Makes the actor system built from `cfg` use this scheduler.
  static void install(caf::actor_system_config& cfg);
  // The system's scheduler, if it is one of these.
  static asio_coordinator* of(caf::actor_system& sys);

  // From now on actors run on `ioc`'s threads.
  void lend(boost::asio::io_context& ioc);
  // Back on the own thread; returns once no actor runs on the lent
  // io_context any more and none waits there.
  void take_back();

  void enqueue(caf::resumable* ptr) override;
  caf::detail::thread_safe_actor_clock& clock() noexcept override { return clock_; }

protected:
  void start() override;
  void stop() override;

private:
  class unit;
  struct job;
  void post_to(boost::asio::io_context& ioc, caf::resumable* ptr, bool lent);
  void run(caf::resumable* ptr, bool lent);

  caf::detail::thread_safe_actor_clock clock_;
  std::thread clock_thread_;
  boost::asio::io_context own_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> own_work_;
  std::thread own_thread_;
  std::unique_ptr<unit> unit_;
  std::atomic<boost::asio::io_context*> lent_{nullptr};
  std::atomic<int64_t> on_lent_{0};  // runs posted to or running on the lent io_context
};

} // namespace herald::net
