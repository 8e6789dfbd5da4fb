#include "runtime/fanout_element.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

using namespace herald;

namespace {

// Stands for a drain's shared receipt.
struct tracked {};

using tracked_ptr = std::shared_ptr<tracked>;

} // namespace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tracked_ptr)

TEST_CASE("a fan-out element holds the shared message until it is let go of, then is reused") {
  trim_fanout_elements(0); // the pool is process-wide: start without other tests' spares
  auto share = std::make_shared<tracked>();
  auto msg = caf::make_message(caf::atom("event"), share);
  std::vector<caf::mailbox_element_ptr> in_use;
  for (int i = 0; i < 64; ++i)
    in_use.push_back(make_fanout_element(msg));
  std::set<caf::mailbox_element*> first_round;
  for (auto& e : in_use) {
    first_round.insert(e.get());
    CHECK(e->mid.is_async());
    CHECK_FALSE(e->sender);
    REQUIRE(e->content().match_elements<caf::atom_value, tracked_ptr>());
    CHECK(e->content().get_as<tracked_ptr>(1).get() == share.get());
  }
  msg = caf::message{};
  CHECK(share.use_count() == 2); // one message, shared by every element
  in_use.pop_back();
  CHECK(share.use_count() == 2);
  in_use.clear(); // the last element lets go of the message
  CHECK(share.use_count() == 1);

  auto made = fanout_elements_allocated();
  auto again = caf::make_message(caf::atom("other"), 42);
  for (int i = 0; i < 64; ++i) {
    auto e = make_fanout_element(again);
    CHECK(first_round.count(e.get()) == 1); // the same elements, not new ones
    CHECK(e->content().match_elements<caf::atom_value, int>());
    CHECK(e->content().get_as<int>(1) == 42);
    in_use.push_back(std::move(e));
  }
  CHECK(fanout_elements_allocated() == made);
  in_use.clear();
}

TEST_CASE("fan-out elements let go of on other threads come back whole") {
  auto share = std::make_shared<tracked>();
  auto msg = caf::make_message(caf::atom("event"), share);
  constexpr int per_thread = 5000;
  std::vector<std::vector<caf::mailbox_element_ptr>> batches(4);
  for (auto& b : batches)
    for (int i = 0; i < per_thread; ++i)
      b.push_back(make_fanout_element(msg));
  msg = caf::message{};
  std::vector<std::thread> threads;
  for (auto& b : batches)
    threads.emplace_back([&b] { b.clear(); });
  for (auto& t : threads)
    t.join();
  CHECK(share.use_count() == 1);
  auto made = fanout_elements_allocated();
  std::set<caf::mailbox_element*> seen;
  std::vector<caf::mailbox_element_ptr> again;
  for (int i = 0; i < 4 * per_thread; ++i) {
    again.push_back(make_fanout_element(caf::make_message(i)));
    seen.insert(again.back().get());
  }
  CHECK(seen.size() == size_t(4 * per_thread));
  CHECK(fanout_elements_allocated() == made);
  for (int i = 0; i < 4 * per_thread; ++i)
    CHECK(again[size_t(i)]->content().get_as<int>(0) == i);
}

TEST_CASE(
    "trimming keeps as many waiting elements as asked and frees the rest, a slice at a time") {
  trim_fanout_elements(0);
  std::vector<caf::mailbox_element_ptr> in_use;
  for (int i = 0; i < 300; ++i)
    in_use.push_back(make_fanout_element(caf::make_message(i)));
  std::thread([&in_use] { in_use.clear(); }).join(); // given back by another thread
  CHECK(trim_fanout_elements(100, 150));             // 50 of the 200 extra are left
  CHECK_FALSE(trim_fanout_elements(100, 150));       // now they are gone too
  CHECK_FALSE(trim_fanout_elements(100));
  auto made = fanout_elements_allocated();
  for (int i = 0; i < 300; ++i)
    in_use.push_back(make_fanout_element(caf::make_message(i)));
  CHECK(fanout_elements_allocated() == made + 200); // 100 reused, 200 new
  in_use.clear();
  trim_fanout_elements(0);
}
