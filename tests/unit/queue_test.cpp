// The queue actor as a supervisor: a notifier that throws is restarted
// within queue.restart_intensity, its job counts a failed attempt and is
// retried; past the intensity the sink is marked failed and its jobs wait.
// Runs a real actor system with the memory store on its worker thread; the
// notifiers are deliberately faulty ones.
#include "actors/queue.hpp"
#include "persistence/memory_store.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <thread>

using namespace herald;
using namespace std::chrono_literals;

namespace {

// A notifier that throws on a job for "boom" and delivers every other one.
notifier_actor::behavior_type faulty_notifier(notifier_actor::pointer self, notifier_init init) {
  auto queue = caf::actor_cast<queue_actor>(init.queue);
  auto sink = init.sink.name;
  self->send(queue, want_atom::value, sink, uint32_t(4), std::string("closed"));
  return {
      [=](job_atom, persistence::job& j) {
        if (j.to == "boom")
          throw std::runtime_error("bad recipient");
        self->send(queue, done_atom::value, sink, j,
                   job_outcome{job_outcome::kind::delivered, {}, 0});
        self->send(queue, want_atom::value, sink, uint32_t(4), std::string("closed"));
      },
      [=](sent_atom, const std::string&, http_response&) {},
      [=](pump_atom) {},
      [=](info_atom) { return actor_info{}; },
      [=](continue_atom, continuation& k) { k(); },
  };
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<persistence::store_worker> store = std::make_shared<persistence::store_worker>(
      std::make_unique<persistence::memory_store>(persistence::inbox_limits{}), 100);
  queue_actor queue;
  dlq_actor dlq;

  explicit fixture(int64_t intensity) {
    dlq = spawn_dlq(sys, store, nullptr);
    queue_init init;
    init.limits.max_attempts = 3;
    init.limits.base_delay = 10ms;
    init.limits.max_delay = 20ms;
    init.limits.poll_interval = 10ms;
    init.limits.restart_intensity = intensity;
    init.limits.restart_period = 10s;
    config::sink_config sink;
    sink.name = "hook";
    sink.kind = "webhook";
    init.sinks = {sink};
    init.store = store;
    init.dlq = dlq;
    init.spawn_notifier = [](caf::local_actor* parent, notifier_init ni) {
      return parent->spawn(faulty_notifier, std::move(ni));
    };
    queue = spawn_queue(sys, std::move(init));
    set_dlq_queue(dlq, queue);
  }
  ~fixture() {
    caf::anon_send_exit(queue, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dlq, caf::exit_reason::user_shutdown);
    sys.await_all_actors_done();
    store->stop();
  }

  void add(const std::string& id, const std::string& to) {
    persistence::job j;
    j.id = id;
    j.sink = "hook";
    j.to = to;
    caf::scoped_actor self{sys};
    self->request(queue, 5s, notify_atom::value, j, false)
        .receive([](notify_result& r) { REQUIRE(r.status == 202); },
                 [](caf::error&) { FAIL("no answer"); });
  }

  queue_stats stats() {
    caf::scoped_actor self{sys};
    queue_stats out;
    self->request(queue, 5s, stats_atom::value)
        .receive([&](queue_stats& s) { out = s; }, [](caf::error&) { FAIL("no answer"); });
    return out;
  }

  bool eventually(const std::function<bool(const queue_stats&)>& ok) {
    for (int i = 0; i < 300; ++i) {
      if (ok(stats()))
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

} // namespace

TEST_CASE("a notifier that throws is restarted and its job retried, up to the DLQ") {
  fixture f(5);
  f.add("j-boom", "boom");
  CHECK(f.eventually([](auto& s) { return s.now.dead == 1; }));
  auto s = f.stats();
  REQUIRE(s.sinks.size() == 1);
  CHECK(s.sinks[0].restarts == 3); // one crash per attempt
  CHECK_FALSE(s.sinks[0].failed);
  CHECK(s.failed == 3);
  // The restarted notifier works: another job of the sink is delivered.
  f.add("j-fine", "ops");
  CHECK(f.eventually([](auto& s) { return s.completed == 1; }));
}

TEST_CASE("past the restart intensity the sink is marked failed and its jobs wait") {
  fixture f(1);
  f.add("j-boom", "boom");
  CHECK(f.eventually([](auto& s) { return !s.sinks.empty() && s.sinks[0].failed; }));
  auto s = f.stats();
  CHECK(s.sinks[0].restarts == 1);
  CHECK(s.sinks[0].last_error.find("runtime_error") != std::string::npos);
  f.add("j-later", "ops");
  std::this_thread::sleep_for(100ms);
  s = f.stats();
  CHECK(s.completed == 0);
  CHECK(s.now.waiting + s.now.delayed >= 1); // kept, not lost
}
