#include "actors/registry/session_roster.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace herald;

namespace {

// What a roster's owner keeps: each id's position, fixed up as remove() reports moves.
struct roster_owner {
  session_roster roster;
  std::map<session_id, uint32_t> at;
  void add(session_id id, bool attached) { at[id] = roster.add(id, session_actor{}, attached); }
  void remove(session_id id) {
    if (auto moved = roster.remove(at.at(id)))
      at[*moved] = at.at(id);
    at.erase(id);
  }
  bool consistent() const {
    if (roster.size() != at.size())
      return false;
    for (auto& [id, pos] : at)
      if (pos >= roster.size() || roster.members()[pos].id != id)
        return false;
    return true;
  }
};

} // namespace

TEST_CASE("a roster keeps its members packed and reports who moved into a gap") {
  roster_owner o;
  for (session_id id = 1; id <= 5; ++id)
    o.add(id, id % 2 == 1);
  CHECK(o.consistent());

  o.remove(2); // 5 moves into the gap
  CHECK(o.at.at(5) == 1);
  CHECK(o.consistent());

  o.remove(5); // 4, now last, moves into 5's place
  CHECK(o.consistent());
  o.remove(4); // the last member: nothing moves
  CHECK(o.consistent());
  CHECK(o.roster.size() == 2);

  o.roster.set_attached(o.at.at(3), false);
  CHECK_FALSE(o.roster.members()[o.at.at(3)].attached);
  CHECK(o.roster.members()[o.at.at(1)].attached);

  o.remove(1);
  o.remove(3);
  CHECK(o.roster.size() == 0);
  CHECK(o.consistent());
}

TEST_CASE("a roster stays consistent through many joins and leaves in mixed order") {
  roster_owner o;
  for (session_id id = 0; id < 200; ++id)
    o.add(id, true);
  for (session_id id = 0; id < 200; id += 3)
    o.remove(id);
  for (session_id id = 200; id < 260; ++id)
    o.add(id, false);
  for (session_id id = 199; id > 100; id -= 2)
    if (o.at.count(id))
      o.remove(id);
  CHECK(o.consistent());
  size_t attached = 0;
  for (auto& m : o.roster.members())
    attached += m.attached;
  size_t expected = 0;
  for (auto& [id, pos] : o.at)
    expected += id < 200;
  CHECK(attached == expected);
}
