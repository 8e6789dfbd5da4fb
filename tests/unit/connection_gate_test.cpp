// server.max_pending and server.max_connections_per_ip.
#include "net/connection_gate.hpp"

#include <doctest/doctest.h>

using namespace herald::net;

TEST_CASE("a full pending table closes the connection that has waited longest") {
  auto gate = std::make_shared<connection_gate>(2, 0);
  int closed_a = 0, closed_b = 0, closed_c = 0;
  auto a = gate->waiting([&] { ++closed_a; });
  auto b = gate->waiting([&] { ++closed_b; });
  CHECK(gate->pending() == 2);
  auto c = gate->waiting([&] { ++closed_c; });
  CHECK(closed_a == 1);
  CHECK(closed_b + closed_c == 0);
  CHECK(gate->pending() == 2);
  CHECK(gate->evicted() == 1);
  gate->finished(a); // the evicted one leaves as well: nothing else moves
  gate->finished(b);
  CHECK(gate->pending() == 1);
  gate->finished(c);
  gate->finished(c); // twice is harmless
  CHECK(gate->pending() == 0);
}

TEST_CASE("connections per IP are counted while their slots live") {
  auto gate = std::make_shared<connection_gate>(10, 2);
  auto ip = boost::asio::ip::make_address("127.0.0.1");
  auto other = boost::asio::ip::make_address("127.0.0.2");
  auto s1 = gate->admit(ip);
  auto s2 = gate->admit(ip);
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK_FALSE(gate->admit(ip));
  CHECK(gate->admit(other));
  CHECK(gate->refused_per_ip() == 1);
  s1.reset();
  CHECK(gate->admit(ip));
  auto unlimited = std::make_shared<connection_gate>(10, 0);
  for (int i = 0; i < 100; ++i)
    CHECK(unlimited->admit(ip));
}
