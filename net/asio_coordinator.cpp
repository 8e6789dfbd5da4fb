#include "net/asio_coordinator.hpp"

#include <caf/detail/set_thread_name.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

#include <boost/asio/post.hpp>

#include <chrono>
#include <utility>

namespace herald::net {

// What an actor sees as its worker: scheduling another actor from inside an
// actor goes through the coordinator like any other.
class asio_coordinator::unit final : public caf::execution_unit {
public:
  unit(caf::actor_system& sys, asio_coordinator& owner) : caf::execution_unit(&sys), owner_(owner) {}
  void exec_later(caf::resumable* ptr) override { owner_.enqueue(ptr); }

private:
  asio_coordinator& owner_;
};

// A scheduled actor in an Asio queue. It holds the scheduler's reference;
// if the queue is destroyed without running it, the actor is cleaned up and
// released as CAF's own schedulers do with leftover jobs.
struct asio_coordinator::job {
  asio_coordinator* owner;
  caf::resumable* ptr;
  bool lent;
  job(asio_coordinator* o, caf::resumable* p, bool l) : owner(o), ptr(p), lent(l) {}
  job(job&& other) noexcept : owner(other.owner), ptr(std::exchange(other.ptr, nullptr)), lent(other.lent) {}
  job(const job&) = delete;
  job& operator=(const job&) = delete;
  job& operator=(job&&) = delete;
  ~job() {
    if (!ptr)
      return;
    if (lent)
      owner->on_lent_.fetch_sub(1, std::memory_order_acq_rel);
    caf::scheduler::abstract_coordinator::cleanup_and_release(ptr);
  }
  void operator()() { owner->run(std::exchange(ptr, nullptr), lent); }
};

asio_coordinator::asio_coordinator(caf::actor_system& sys) : caf::scheduler::abstract_coordinator(sys) {}

asio_coordinator::~asio_coordinator() = default;

void asio_coordinator::install(caf::actor_system_config& cfg) {
  cfg.module_factories.push_back(
      [](caf::actor_system& sys) -> caf::actor_system::module* { return new asio_coordinator(sys); });
}

asio_coordinator* asio_coordinator::of(caf::actor_system& sys) {
  return dynamic_cast<asio_coordinator*>(&sys.scheduler());
}

void asio_coordinator::lend(boost::asio::io_context& ioc) { lent_.store(&ioc, std::memory_order_release); }

void asio_coordinator::take_back() {
  lent_.store(nullptr, std::memory_order_release);
  // Runs posted there before the switch still happen there (the lender's
  // threads run until it stops them, after this returns).
  while (on_lent_.load(std::memory_order_acquire) > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void asio_coordinator::enqueue(caf::resumable* ptr) {
  // Counted before the target is read, so take_back() cannot miss a run
  // that goes to the lent io_context after it switched.
  on_lent_.fetch_add(1, std::memory_order_acq_rel);
  if (auto ioc = lent_.load(std::memory_order_acquire))
    return post_to(*ioc, ptr, true);
  on_lent_.fetch_sub(1, std::memory_order_acq_rel);
  post_to(own_, ptr, false);
}

void asio_coordinator::post_to(boost::asio::io_context& ioc, caf::resumable* ptr, bool lent) {
  boost::asio::post(ioc, job{this, ptr, lent});
}

void asio_coordinator::run(caf::resumable* ptr, bool lent) {
  switch (ptr->resume(unit_.get(), max_throughput())) {
    case caf::resumable::resume_later:
      enqueue(ptr);  // keeps the scheduler's reference; others get their turn first
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
    case caf::resumable::shutdown_execution_unit:
      caf::intrusive_ptr_release(ptr);
      break;
  }
  if (lent)
    on_lent_.fetch_sub(1, std::memory_order_acq_rel);
}

void asio_coordinator::start() {
  unit_ = std::make_unique<unit>(system(), *this);
  own_work_ = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
      own_.get_executor());
  own_thread_ = std::thread([this] {
    caf::detail::set_thread_name("caf.asio");
    system().thread_started();
    own_.run();
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
  clock_.cancel_dispatch_loop();
  if (clock_thread_.joinable())
    clock_thread_.join();
}

} // namespace herald::net
