// The Redis connection manager and the cluster link against a real
// redis-server (killed and restarted on the same port where a test needs it).
#include "store_backends.hpp"

#include "persistence/cluster_link.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <mutex>

using namespace herald;
using namespace herald::persistence;
using namespace std::chrono_literals;

namespace {

// A TCP server that accepts and never answers: a Redis that hangs.
struct silent_server {
  int fd = -1;
  int port = 0;
  silent_server() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~silent_server() { ::close(fd); }
};

redis_reply raw(int port, redis_command cmd) {
  redis_endpoint e;
  e.port = port;
  redis_connection c(e, 500ms, 1000ms);
  return c.pipeline({std::move(cmd)})[0];
}

} // namespace

TEST_CASE("redis endpoints are read from redis:// urls") {
  std::string why;
  auto e = redis_endpoint::parse("redis://:s3cret@10.0.0.5:6380/2", why);
  REQUIRE(e);
  CHECK(e->host == "10.0.0.5");
  CHECK(e->port == 6380);
  CHECK(e->db == 2);
  CHECK(e->password == "s3cret");
  CHECK(e->display() == "10.0.0.5:6380/2");
  CHECK(redis_endpoint::parse("redis://localhost", why)->port == 6379);
  CHECK_FALSE(redis_endpoint::parse("rediss://x:1", why));
  CHECK_FALSE(redis_endpoint::parse("redis://x:99999", why));
  CHECK(why.find("port") != std::string::npos);
  CHECK_FALSE(redis_endpoint::parse("redis://x:1/abc", why));
}

TEST_CASE("a manager answers at once while Redis is unreachable, and connects when it appears") {
  test::redis_process later; // not started yet: its port refuses connections
  redis_manager m(test::redis_options_for(later));
  m.subscribe("ch");
  m.start();
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(m.up());
  auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(m.call({{"PING"}}), store_error);
  // Not a speed check: a caller must not wait for the reconnect loop (a hang
  // would take the whole connect_timeout and more); the bound is generous.
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  std::string error;
  REQUIRE(later.start(error));
  CHECK(test::wait_until([&] { return m.up(); }));
  CHECK(m.call({{"PING"}})[0].str == "PONG");
  CHECK(m.latency_us() >= 0);
}

TEST_CASE("a command Redis does not answer fails after command_timeout, not later") {
  silent_server hung;
  auto o = test::redis_options_for(test::shared_redis());
  o.endpoint.port = hung.port;
  o.command_timeout = 300ms;
  redis_manager m(o);
  m.start();
  // Connecting succeeds (the socket accepts); the PING then times out.
  // A connection counts as up only once Redis answered a PING: never here.
  std::this_thread::sleep_for(500ms);
  CHECK_FALSE(m.up());
  auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(m.call({{"GET", "x"}}), store_error);
  // Not a speed check: without the timeout the call would never return; the
  // bound is 16 times command_timeout.
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("after Redis restarts, commands work again and every subscription is restored") {
  test::redis_process server;
  std::string error;
  REQUIRE(server.start(error));
  redis_manager m(test::redis_options_for(server));
  std::mutex mutex;
  std::vector<std::string> got;
  m.subscribe("herald-test:bus");
  m.subscribe("herald-test:other");
  m.on_message([&](const std::string& channel, const std::string& payload) {
    std::lock_guard<std::mutex> lock(mutex);
    got.push_back(channel + "=" + payload);
  });
  m.start();
  REQUIRE(test::wait_until([&] { return m.up(); }));
  CHECK(raw(server.port(), {"PUBLISH", "herald-test:bus", "one"}).integer == 1);
  auto received = [&](size_t n) {
    return test::wait_until([&] {
      std::lock_guard<std::mutex> lock(mutex);
      return got.size() == n;
    });
  };
  CHECK(received(1));

  server.stop();
  CHECK(test::wait_until([&] { return !m.up(); }));
  std::promise<bool> failed;
  m.submit({{"PING"}},
           [&](bool ok, std::vector<redis_reply>, const std::string&) { failed.set_value(ok); });
  CHECK_FALSE(failed.get_future().get());

  REQUIRE(server.start(error));
  REQUIRE(test::wait_until([&] { return m.up(); }));
  CHECK(m.reconnects() >= 1);
  CHECK(m.resubscribes() >= 1);
  CHECK(raw(server.port(), {"PUBLISH", "herald-test:other", "two"}).integer == 1);
  CHECK(m.call({{"SET", "k", "v"}, {"GET", "k"}})[1].str == "v");
  CHECK(received(2));
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(got == std::vector<std::string>{"herald-test:bus=one", "herald-test:other=two"});
}

TEST_CASE("past redis.queue_max waiting requests, more are refused at once") {
  auto& server = test::shared_redis();
  auto o = test::redis_options_for(server);
  o.queue_max = 2;
  o.command_timeout = 3000ms;
  redis_manager m(o);
  m.start();
  REQUIRE(test::wait_until([&] { return m.up(); }));
  // Redis busy for a second: what is submitted meanwhile waits.
  std::promise<bool> slept;
  m.submit({{"DEBUG", "SLEEP", "1"}},
           [&](bool good, std::vector<redis_reply> replies, const std::string&) {
             slept.set_value(good && !replies.empty() && !replies[0].is_error());
           });
  REQUIRE(test::wait_until([&] { return m.waiting() == 0; })); // it is on the wire
  std::atomic<int> ok{0}, refused{0};
  std::string why;
  std::mutex mutex;
  for (int i = 0; i < 5; ++i)
    m.submit({{"PING"}}, [&](bool good, std::vector<redis_reply>, const std::string& error) {
      std::lock_guard<std::mutex> lock(mutex);
      if (good) {
        ++ok;
      } else {
        ++refused;
        why = error;
      }
    });
  CHECK(refused.load() == 3);      // refused at once, before Redis woke up
  CHECK(slept.get_future().get()); // Redis really slept (DEBUG is allowed on the test server)
  CHECK(test::wait_until([&] { return ok.load() == 2; }));
  CHECK(m.refused() == 3);
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(why.find("redis.queue_max") != std::string::npos);
}

TEST_CASE("bus messages keep every field, and garbage is refused") {
  bus_message m{"n-1", 'u', "alice", "e-1", ",\"id\":\"e-1\"}", {1700000000000, 3}, {}, false};
  auto back = bus_message::decode(m.encode());
  REQUIRE(back);
  CHECK(back->origin == "n-1");
  CHECK(back->target == 'u');
  CHECK(back->name == "alice");
  CHECK(back->tail == m.tail);
  CHECK(back->pos == m.pos);
  CHECK_FALSE(bus_message::decode("not json"));
  CHECK_FALSE(bus_message::decode(R"({"v":1,"o":"n","k":"x","n":"","id":"e","tail":""})"));
  CHECK_FALSE(bus_message::decode(R"({"v":2})"));
}

TEST_CASE("cluster presence counts other live nodes and forgets a node whose key expired") {
  auto& server = test::shared_redis();
  redis_manager ra(test::redis_options_for(server)), rb(test::redis_options_for(server));
  ra.start();
  rb.start();
  REQUIRE(test::wait_until([&] { return ra.up() && rb.up(); }));
  std::string prefix = "presence-test:";
  cluster_link a(ra, prefix, "node-a", 1000ms, 60000ms);
  cluster_link b(rb, prefix, "node-b", 1000ms, 60000ms);
  a.report({{"active_connections", 2}});
  b.report({{"active_connections", 3}});
  a.set_presence("carol", 1, 1000);
  b.set_presence("carol", 2, 5000);
  auto ask = [](cluster_link& link, const std::string& user) {
    std::promise<std::optional<cluster_presence>> p;
    link.presence(user, [&](std::optional<cluster_presence> v) { p.set_value(v); });
    return p.get_future().get();
  };
  // The writes went through the other connection: wait until they landed.
  CHECK(test::wait_until([&] {
    auto p = ask(a, "carol");
    return p && p->sessions == 2; // node-b's; node-a answers for itself
  }));
  auto from_a = ask(a, "carol");
  REQUIRE(from_a);
  CHECK(from_a->last_seen_ms == 5000);
  auto nobody = ask(a, "nobody");
  REQUIRE(nobody);
  CHECK(nobody->sessions == 0);
  CHECK(nobody->last_seen_ms == -1);

  auto totals = [&] {
    std::promise<std::optional<std::pair<uint64_t, node_stats>>> p;
    a.totals([&](auto t) { p.set_value(t); });
    return p.get_future().get();
  };
  CHECK(test::wait_until([&] {
    auto t = totals();
    return t && t->first == 2 && t->second["active_connections"] == 5;
  }));

  // node-b stops reporting: within node_ttl its sessions no longer count,
  // its last seen stays.
  std::this_thread::sleep_for(1200ms);
  a.report({{"active_connections", 2}});
  auto later = ask(a, "carol");
  REQUIRE(later);
  CHECK(later->sessions == 0);
  CHECK(later->last_seen_ms == 5000);
}
