// The registry's parts without the actor: membership and the presence book.
#include "actors/registry/membership.hpp"
#include "actors/registry/presence_book.hpp"

#include <doctest/doctest.h>

using namespace herald;

namespace {
constexpr int64_t s = 1'000'000'000;

std::vector<session_id> ids_in(const session_roster* roster) {
  std::vector<session_id> out;
  if (roster)
    for (auto& m : roster->members())
      out.push_back(m.id);
  std::sort(out.begin(), out.end());
  return out;
}
} // namespace

TEST_CASE("membership: seats stay right when a session in the middle leaves") {
  membership m;
  for (session_id id = 1; id <= 3; ++id) {
    m.add(id, "u" + std::to_string(id), "tok", session_actor{});
    m.join(id, "room");
    m.join(id, "room"); // twice is once
  }
  m.join(2, "other");
  CHECK(ids_in(m.channel("room")) == std::vector<session_id>{1, 2, 3});
  CHECK(m.remove(1) == "u1");
  CHECK(ids_in(m.channel("room")) == std::vector<session_id>{2, 3});
  m.leave(3, "room"); // the session moved into the gap must find its seat
  CHECK(ids_in(m.channel("room")) == std::vector<session_id>{2});
  m.remove(2);
  CHECK(m.channel("room") == nullptr);
  CHECK(m.channel("other") == nullptr);
  CHECK(m.channel_count() == 0);
  CHECK(m.size() == 1);
}

TEST_CASE("membership: the attached count follows each change once") {
  membership m;
  m.add(7, "ann", "tok", session_actor{});
  m.join(7, "room");
  CHECK(m.set_attached(7, true));
  CHECK_FALSE(m.set_attached(7, true));
  CHECK(m.attached() == 1);
  CHECK(m.channel("room")->members()[0].attached);
  m.remove(7);
  CHECK(m.attached() == 0);
  CHECK_FALSE(m.set_attached(7, true)); // gone
}

TEST_CASE("presence: online users, anonymous users go with their session, pruning") {
  presence_book p;
  p.add_session("ann", 1, 0);
  p.add_session("anon:s-1", 2, 0);
  CHECK(p.attached_changed("ann", true) == 1);
  CHECK(p.attached_changed("ann", true) == 2);
  CHECK(p.online() == 1);
  p.attached_changed("ann", false);
  p.attached_changed("ann", false);
  CHECK(p.online() == 0);
  p.remove_session("anon:s-1", 2);
  CHECK(p.find("anon:s-1") == nullptr);
  p.remove_session("ann", 1);
  REQUIRE(p.find("ann") != nullptr); // kept for presence.retain
  p.prune(10 * s, 20 * s, 100);
  CHECK(p.find("ann") != nullptr);
  p.prune(30 * s, 20 * s, 100);
  CHECK(p.find("ann") == nullptr);
}

TEST_CASE("presence: over max_users the oldest offline users go, online ones stay") {
  presence_book p;
  p.add_session("online", 1, 0);
  for (int i = 0; i < 5; ++i) {
    p.add_session("u" + std::to_string(i), session_id(10 + i), i * s);
    p.remove_session("u" + std::to_string(i), session_id(10 + i));
  }
  p.prune(5 * s, 3600 * s, 3);
  CHECK(p.size() == 3);
  CHECK(p.find("online") != nullptr);
  CHECK(p.find("u4") != nullptr);
  CHECK(p.find("u3") != nullptr);
  CHECK(p.find("u0") == nullptr);
}
