#include "runtime/asio_coordinator.hpp"

#include "config/contain.hpp"

#include <caf/detail/set_thread_name.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>

namespace herald {

// What an actor sees as its worker: scheduling another actor from inside an
// actor goes through the coordinator like any other.
class asio_coordinator::unit final : public caf::execution_unit {
public:
  unit(caf::actor_system& sys, asio_coordinator& owner)
      : caf::execution_unit(&sys), owner_(owner) {}
  void exec_later(caf::resumable* ptr) override { owner_.enqueue(ptr); }

private:
  asio_coordinator& owner_;
};

// Jobs one runner takes before it lets the io_context's other handlers
// (socket reads and writes, HTTP answers, timers) have their turn. One: a
// fan-out job is already a hundred sessions, and publishers whose answers
// wait behind a long slice publish less often, which leaves the sessions
// fewer events to write at once (at N = 10,000: 8 jobs a slice gave 10
// frames a write and 1.1M frames/s, 1 job gives 30 and 2.2M).
constexpr size_t jobs_per_slice = 1;

struct asio_coordinator::runner {
  asio_coordinator* owner;
  boost::asio::io_context* where;
  void operator()() const { owner->run_slice(where); }
};

asio_coordinator::asio_coordinator(caf::actor_system& sys)
    : caf::scheduler::abstract_coordinator(sys) {}

asio_coordinator::~asio_coordinator() = default;

void asio_coordinator::install(caf::actor_system_config& cfg) {
  cfg.module_factories.push_back([](caf::actor_system& sys) -> caf::actor_system::module* {
    return new asio_coordinator(sys);
  });
}

asio_coordinator* asio_coordinator::of(caf::actor_system& sys) {
  return dynamic_cast<asio_coordinator*>(&sys.scheduler());
}

void asio_coordinator::lend(boost::asio::io_context& ioc, size_t threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  target_ = &ioc;
  target_threads_ = std::max<size_t>(1, threads);
  while (!jobs_.empty() && runners_ < target_threads_)
    post_runner_locked();
}

void asio_coordinator::take_back() {
  std::unique_lock<std::mutex> lock(mutex_);
  target_ = nullptr;
  target_threads_ = 1;
  // Runners there finish their slice and hand what is left to the own thread.
  lent_idle_.wait(lock, [this] { return runners_on_lent_ == 0; });
  if (!jobs_.empty() && runners_ == 0)
    post_runner_locked();
}

void asio_coordinator::enqueue(caf::resumable* ptr) {
  boost::asio::io_context* where = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(ptr);
    if (runners_ < target_threads_)
      where = count_runner_locked();
  }
  // Posted after unlocking: the post wakes an I/O thread, which on a busy
  // core may run at once and would only block on mutex_ again. A runner
  // counted but not yet posted keeps take_back() waiting, so `where` lives.
  if (where)
    boost::asio::post(*where, runner{this, where});
}

boost::asio::io_context* asio_coordinator::count_runner_locked() {
  auto where = target_ ? target_ : &own_;
  ++runners_;
  if (target_)
    ++runners_on_lent_;
  return where;
}

void asio_coordinator::post_runner_locked() {
  auto where = count_runner_locked();
  boost::asio::post(*where, runner{this, where});
}

void asio_coordinator::run_slice(boost::asio::io_context* where) {
  for (size_t i = 0;; ++i) {
    caf::resumable* job = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto current = target_ ? target_ : &own_;
      if (jobs_.empty() || where != current || i == jobs_per_slice) {
        if (!jobs_.empty() && where == current) {
          boost::asio::post(*where, runner{this, where}); // again, behind the network's handlers
          return;
        }
        --runners_;
        if (where != &own_ && --runners_on_lent_ == 0)
          lent_idle_.notify_all();
        if (!jobs_.empty() && runners_ < target_threads_)
          post_runner_locked(); // moved: hand the rest to where actors run now
        return;
      }
      job = jobs_.front();
      jobs_.pop_front();
    }
    switch (job->resume(unit_.get(), max_throughput())) {
      case caf::resumable::resume_later:
        enqueue(job); // keeps the scheduler's reference; others get their turn first
        break;
      case caf::resumable::done:
      case caf::resumable::awaiting_message:
      case caf::resumable::shutdown_execution_unit:
        caf::intrusive_ptr_release(job);
        break;
    }
  }
}

void asio_coordinator::start() {
  unit_ = std::make_unique<unit>(system(), *this);
  own_work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          own_.get_executor());
  own_thread_ = std::thread([this] {
    caf::detail::set_thread_name("caf.asio");
    system().thread_started();
    run_contained("caf.asio", [this] { own_.run(); });
    system().thread_terminates();
  });
  clock_thread_ = std::thread([this] {
    caf::detail::set_thread_name("caf.clock");
    system().thread_started();
    clock_.run_dispatch_loop();
    system().thread_terminates();
  });
  caf::scheduler::abstract_coordinator::start();
}

void asio_coordinator::stop() {
  stop_actors();
  take_back();
  own_work_.reset();
  own_.stop();
  if (own_thread_.joinable())
    own_thread_.join();
  // What never ran is cleaned up as CAF's own schedulers do.
  std::deque<caf::resumable*> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    left.swap(jobs_);
  }
  for (auto job : left)
    caf::scheduler::abstract_coordinator::cleanup_and_release(job);
  clock_.cancel_dispatch_loop();
  if (clock_thread_.joinable())
    clock_thread_.join();
}

} // namespace herald
