#include "actors/session_order.hpp"

#include <doctest/doctest.h>

using namespace herald;

namespace {
actor_info session(std::string name, std::string user, uint64_t mailbox, uint64_t outbound,
                   int64_t seen_ms = -1) {
  actor_info a;
  a.name = std::move(name);
  a.kind = "session";
  a.user = std::move(user);
  a.mailbox = mailbox;
  a.outbound = outbound;
  if (seen_ms >= 0)
    a.last_seen = std::chrono::system_clock::time_point(std::chrono::milliseconds(seen_ms));
  return a;
}

std::vector<std::string> names(const std::vector<actor_info>& v) {
  std::vector<std::string> out;
  for (auto& a : v)
    out.push_back(a.name);
  return out;
}
} // namespace

TEST_CASE("sessions sort by their live numbers, ties by name, then one page is kept") {
  std::vector<actor_info> all{session("s-1", "carol", 0, 5, 300), session("s-2", "alice", 9, 0),
                              session("s-3", "bob", 0, 5, 100), session("s-4", "alice", 1, 7, 200)};
  session_query q;
  q.sort = session_sort::outbound;
  q.descending = true;
  auto v = all;
  order_sessions(v, q);
  CHECK(names(v) == std::vector<std::string>{"s-4", "s-3", "s-1", "s-2"});

  q.sort = session_sort::mailbox;
  q.limit = 2;
  v = all;
  order_sessions(v, q);
  CHECK(names(v) == std::vector<std::string>{"s-2", "s-4"});

  q.sort = session_sort::user;
  q.descending = false;
  q.limit = 2;
  q.offset = 1;
  v = all;
  order_sessions(v, q);
  CHECK(names(v) == std::vector<std::string>{"s-4", "s-3"}); // alice s-2, [alice s-4, bob s-3]

  q.sort = session_sort::last_seen; // never seen sorts first
  q.offset = 0;
  q.limit = 100;
  v = all;
  order_sessions(v, q);
  CHECK(names(v) == std::vector<std::string>{"s-2", "s-3", "s-4", "s-1"});

  q.offset = 10; // past the end: empty, not a crash
  v = all;
  order_sessions(v, q);
  CHECK(v.empty());
}
