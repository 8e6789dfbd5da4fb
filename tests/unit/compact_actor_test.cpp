// The compact actor base (what every session is) and the scheduler that runs
// actors on Asio's threads, each against a real CAF actor system.
#include "actors/atoms.hpp"
#include "actors/compact_actor.hpp"
#include "net/asio_coordinator.hpp"
#include "test_support.hpp"

#include <caf/make_actor.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <stdexcept>
#include <thread>

using namespace herald;
using namespace std::chrono_literals;

namespace {

using echo_atom = caf::atom_constant<caf::atom("t_echo")>;
using boom_atom = caf::atom_constant<caf::atom("t_boom")>;
using where_atom = caf::atom_constant<caf::atom("t_where")>;

// Echoes an int, says on which thread it runs, quits or throws on demand.
class echo_actor final : public compact_actor {
public:
  using compact_actor::compact_actor;
  const char* name() const override { return "echo"; }
  int idles = 0;
  bool failed = false;

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
  void on_idle() override { ++idles; }
  void on_exception(std::exception_ptr) override { failed = true; }
};

caf::actor spawn_echo(caf::actor_system& sys) {
  caf::actor_config cfg;
  auto ptr = caf::make_actor<echo_actor, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(), &sys, cfg);
  static_cast<echo_actor*>(caf::actor_cast<caf::abstract_actor*>(ptr))->launch();
  return caf::actor_cast<caf::actor>(std::move(ptr));
}

size_t thread_of(caf::scoped_actor& self, const caf::actor& a) {
  size_t out = 0;
  self->request(a, 5s, where_atom::value).receive([&](size_t t) { out = t; }, [](caf::error& e) {
    FAIL("no answer: " << caf::to_string(e));
  });
  return out;
}

} // namespace

TEST_CASE("a compact actor answers requests, and a plain message's result goes back as a message") {
  test::deterministic_system t;
  auto echo = spawn_echo(t.sys);
  t.run();
  t.self->send(echo, echo_atom::value, 41);
  t.run();
  CHECK(t.reply<int>() == 42);
  // An unknown request is answered with an error, not silently dropped.
  auto answer = t.self->request(echo, caf::infinite, std::string("what?"));
  t.run();
  bool refused = false;
  std::move(answer).receive([](int) {}, [&](caf::error& e) { refused = e == caf::sec::unexpected_message; });
  CHECK(refused);
  caf::anon_send(echo, shutdown_atom::value);
  t.run();
}

TEST_CASE("quitting tells monitors (normal), answers waiting requests with an error and refuses new ones") {
  test::deterministic_system t;
  auto echo = spawn_echo(t.sys);
  t.run();
  t.self->monitor(echo);
  caf::anon_send(echo, shutdown_atom::value);
  auto waiting = t.self->request(echo, caf::infinite, echo_atom::value, 1);  // behind the shutdown
  t.run();
  bool refused = false;
  std::move(waiting).receive([](int) {}, [&](caf::error&) { refused = true; });
  CHECK(refused);
  bool down = false;
  t.self->receive([&](caf::down_msg& d) { down = !d.reason; }, caf::after(0s) >> [] {});
  CHECK(down);
  auto late = t.self->request(echo, caf::infinite, echo_atom::value, 2);  // after it quit
  t.run();
  bool refused_late = false;
  std::move(late).receive([](int) {}, [&](caf::error&) { refused_late = true; });
  CHECK(refused_late);
}

TEST_CASE("a handler that throws ends the actor with runtime_error after on_exception") {
  test::deterministic_system t;
  auto echo = spawn_echo(t.sys);
  t.run();
  t.self->monitor(echo);
  caf::anon_send(echo, boom_atom::value);
  t.run();
  caf::error reason;
  t.self->receive([&](caf::down_msg& d) { reason = d.reason; }, caf::after(0s) >> [] {});
  CHECK(reason == caf::sec::runtime_error);
}

TEST_CASE("asio_coordinator: actors run on a lent io_context's thread, and on its own thread before and after") {
  caf::actor_system_config cfg;
  net::asio_coordinator::install(cfg);
  caf::actor_system sys{cfg};
  auto coordinator = net::asio_coordinator::of(sys);
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
