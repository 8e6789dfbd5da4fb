// The compact actor base (what every session is) and the scheduler that runs
// actors on Asio's threads, each against a real CAF actor system.
#include "actors/atoms.hpp"
#include "runtime/asio_coordinator.hpp"
#include "runtime/compact_actor.hpp"
#include "runtime/fanout.hpp"
#include "test_support.hpp"

#include <caf/make_actor.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <stdexcept>
#include <thread>

using namespace herald;
using namespace std::chrono_literals;

namespace {

using echo_atom = caf::atom_constant<caf::atom("t_echo")>;
using boom_atom = caf::atom_constant<caf::atom("t_boom")>;
using where_atom = caf::atom_constant<caf::atom("t_where")>;
using count_atom = caf::atom_constant<caf::atom("t_count")>;

// Counts the fan-out messages it ran, and its own end (runtime/README.md, rule 1).
std::atomic<int> fanned_in{0};
std::atomic<int> counters_alive{0};

class counting_actor final : public compact_actor {
public:
  explicit counting_actor(caf::actor_config& cfg) : compact_actor(cfg) { ++counters_alive; }
  ~counting_actor() override { --counters_alive; }
  const char* name() const override { return "counter"; }

private:
  void handle(caf::mailbox_element& x) override {
    auto& c = x.content();
    if (c.match_elements<count_atom>())
      return void(++fanned_in);
    if (c.match_elements<shutdown_atom>())
      return quit();
    unexpected(x);
  }
};

// Echoes an int, says on which thread it runs, quits or throws on demand.
class echo_actor final : public compact_actor {
public:
  using compact_actor::compact_actor;
  const char* name() const override { return "echo"; }

private:
  void handle(caf::mailbox_element& x) override {
    auto& c = x.content();
    if (c.match_elements<echo_atom, int>())
      return reply(x, c.get_as<int>(1) + 1);
    if (c.match_elements<where_atom>())
      return reply(x, std::hash<std::thread::id>{}(std::this_thread::get_id()));
    if (c.match_elements<shutdown_atom>())
      return quit();
    if (c.match_elements<boom_atom>())
      throw std::runtime_error("boom");
    unexpected(x);
  }
};

caf::actor spawn_echo(caf::actor_system& sys) {
  caf::actor_config cfg;
  auto ptr = caf::make_actor<echo_actor, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(),
                                                                &sys, cfg);
  static_cast<echo_actor*>(caf::actor_cast<caf::abstract_actor*>(ptr))->launch();
  return caf::actor_cast<caf::actor>(std::move(ptr));
}

caf::strong_actor_ptr spawn_counter(caf::actor_system& sys) {
  caf::actor_config cfg;
  auto ptr = caf::make_actor<counting_actor, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(),
                                                                    &sys, cfg);
  static_cast<counting_actor*>(caf::actor_cast<caf::abstract_actor*>(ptr))->launch();
  return ptr;
}

size_t thread_of(caf::scoped_actor& self, const caf::actor& a) {
  size_t out = 0;
  self->request(a, 5s, where_atom::value)
      .receive([&](size_t t) { out = t; },
               [](caf::error& e) { FAIL("no answer: " << caf::to_string(e)); });
  return out;
}

} // namespace

// An echo actor on the deterministic scheduler.
struct echo_fixture : test::deterministic_system {
  caf::actor echo = spawn_echo(sys);
  echo_fixture() { run(); }
  // Sends a request, runs everything: the error it was answered with, if any.
  template <class... Ts> caf::error refusal(Ts... xs) {
    auto answer = self->request(echo, caf::infinite, xs...);
    run();
    caf::error out;
    std::move(answer).receive([](int) {}, [&](caf::error& e) { out = std::move(e); });
    return out;
  }
  caf::error down_reason() {
    caf::error reason = caf::make_error(caf::sec::invalid_argument); // no down_msg at all
    self->receive([&](caf::down_msg& d) { reason = d.reason; }, caf::after(0s) >> [] {});
    return reason;
  }
};

TEST_CASE("a compact actor answers requests, and a plain message's result goes back as a message") {
  echo_fixture f;
  f.self->send(f.echo, echo_atom::value, 41);
  f.run();
  CHECK(f.reply<int>() == 42);
  CHECK_FALSE(f.refusal(echo_atom::value, 1));
  // An unknown request is answered with an error, not silently dropped.
  CHECK(f.refusal(std::string("what?")) == caf::sec::unexpected_message);
  caf::anon_send(f.echo, shutdown_atom::value);
  f.run();
}

TEST_CASE("quitting tells monitors (normal), answers waiting requests with an error and refuses "
          "new ones") {
  echo_fixture f;
  f.self->monitor(f.echo);
  caf::anon_send(f.echo, shutdown_atom::value);
  CHECK(f.refusal(echo_atom::value, 1)); // waited behind the shutdown
  CHECK_FALSE(f.down_reason());          // a normal exit
  CHECK(f.refusal(echo_atom::value, 2)); // sent after it quit
}

TEST_CASE("a handler that throws ends the actor with runtime_error") {
  echo_fixture f;
  f.self->monitor(f.echo);
  caf::anon_send(f.echo, boom_atom::value);
  f.run();
  CHECK(f.down_reason() == caf::sec::runtime_error);
}

TEST_CASE("asio_coordinator: actors run on a lent io_context's thread, and on its own thread "
          "before and after") {
  caf::actor_system_config cfg;
  asio_coordinator::install(cfg);
  caf::actor_system sys{cfg};
  auto coordinator = asio_coordinator::of(sys);
  REQUIRE(coordinator != nullptr);
  caf::scoped_actor self{sys};
  auto echo = spawn_echo(sys);
  auto own = thread_of(self, echo);
  CHECK(own != std::hash<std::thread::id>{}(std::this_thread::get_id()));

  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  size_t io_thread = 0;
  std::thread io([&] {
    io_thread = std::hash<std::thread::id>{}(std::this_thread::get_id());
    ioc.run();
  });
  while (io_thread == 0)
    std::this_thread::yield();
  coordinator->lend(ioc, 1);
  CHECK(thread_of(self, echo) == io_thread);
  // A CAF event-based actor runs there too.
  auto fn = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](where_atom) { return std::hash<std::thread::id>{}(std::this_thread::get_id()); }};
  });
  CHECK(thread_of(self, fn) == io_thread);

  coordinator->take_back();
  work.reset();
  ioc.stop();
  io.join();
  CHECK(thread_of(self, echo) == own);
  caf::anon_send(echo, shutdown_atom::value);
  caf::anon_send_exit(fn, caf::exit_reason::user_shutdown);
}

TEST_CASE("a fan-out through batch jobs runs each actor once per message, and every scheduler "
          "reference is given back (the actors are destroyed once let go of)") {
  fanned_in = 0;
  {
    test::deterministic_system sys;
    std::vector<caf::strong_actor_ptr> actors;
    for (int i = 0; i < 300; ++i)
      actors.push_back(spawn_counter(sys.sys));
    sys.run();
    REQUIRE(counters_alive == 300);
    auto as_compact = [](const caf::strong_actor_ptr& p) {
      return static_cast<compact_actor*>(caf::actor_cast<caf::abstract_actor*>(p));
    };
    for (int round = 0; round < 3; ++round) {
      fanout out(0, 128); // 300 actors: three jobs a round
      auto msg = caf::make_message(count_atom::value);
      for (auto& a : actors)
        out.add(as_compact(a), msg);
      if (round < 2)
        out.launch(nullptr, sys.sys);
      // round 2: the destructor launches what was left
    }
    sys.run();
    CHECK(fanned_in == 900);
    for (auto& a : actors)
      caf::anon_send(caf::actor_cast<caf::actor>(a), shutdown_atom::value);
    sys.run();
    actors.clear();
    CHECK(counters_alive == 0);
  }
  fanout::trim_spare_elements(0, SIZE_MAX); // the pool is process-wide: leave no spares behind
}
