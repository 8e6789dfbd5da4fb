// The compact actor's mailbox: order, the waiting mark, closing, and pushes
// from several threads at once.
#include "runtime/actor_inbox.hpp"

#include <caf/make_message.hpp>
#include <caf/message_id.hpp>

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace herald;

namespace {

caf::mailbox_element* element(int n) {
  return caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, n).release();
}

int value(const caf::mailbox_element* x) {
  return x->content().get_as<int>(0);
}

// Takes everything waiting and returns the values oldest first; frees the elements.
std::vector<int> take_in_order(actor_inbox& inbox) {
  std::vector<int> out;
  for (auto x = inbox.take_all(); x;) {
    auto next = static_cast<caf::mailbox_element*>(x->next);
    out.insert(out.begin(), value(x));
    caf::mailbox_element_ptr drop{x};
    x = next;
  }
  return out;
}

} // namespace

TEST_CASE("the inbox hands over what waits, newest first, and shows the newest") {
  actor_inbox inbox;
  CHECK(inbox.empty());
  CHECK(inbox.newest() == nullptr);
  CHECK(inbox.take_all() == nullptr);
  auto first = element(1);
  CHECK(inbox.push(first) == actor_inbox::push_result::queued);
  auto second = element(2);
  CHECK(inbox.push(second) == actor_inbox::push_result::queued);
  CHECK(inbox.newest() == second);
  CHECK_FALSE(inbox.empty());
  CHECK(take_in_order(inbox) == std::vector<int>{1, 2});
  CHECK(inbox.empty());
}

TEST_CASE("a push to a waiting reader wakes it once; try_block fails when a message came first") {
  actor_inbox inbox;
  REQUIRE(inbox.try_block());
  CHECK_FALSE(inbox.empty()); // waiting is not empty: the next push must wake
  CHECK(inbox.newest() == nullptr);
  CHECK(inbox.take_all() == nullptr);
  CHECK(inbox.push(element(1)) == actor_inbox::push_result::woke_reader);
  CHECK(inbox.push(element(2)) == actor_inbox::push_result::queued);
  CHECK_FALSE(inbox.try_block());
  CHECK(take_in_order(inbox) == std::vector<int>{1, 2});
  CHECK(inbox.try_block());
}

TEST_CASE("a closed inbox gives back what waited and refuses every later push") {
  actor_inbox inbox;
  inbox.push(element(1));
  inbox.push(element(2));
  std::vector<int> dropped;
  inbox.close([&](caf::mailbox_element* x) {
    dropped.push_back(value(x));
    caf::mailbox_element_ptr drop{x};
  });
  CHECK(dropped == std::vector<int>{2, 1});
  caf::mailbox_element_ptr late{element(3)};
  CHECK(inbox.push(late.get()) == actor_inbox::push_result::closed); // the caller keeps it
  CHECK(inbox.take_all() == nullptr);
  CHECK_FALSE(inbox.try_block());
}

TEST_CASE("pushes from several threads all arrive, each thread's in its order, one wake-up") {
  actor_inbox inbox;
  REQUIRE(inbox.try_block());
  constexpr int threads = 4, per_thread = 20000;
  std::atomic<int> wakes{0};
  std::vector<std::thread> pushers;
  for (int t = 0; t < threads; ++t)
    pushers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        if (inbox.push(element(t * per_thread + i)) == actor_inbox::push_result::woke_reader)
          ++wakes;
    });
  for (auto& p : pushers)
    p.join();
  CHECK(wakes.load() == 1);
  auto got = take_in_order(inbox);
  REQUIRE(got.size() == size_t{threads * per_thread});
  std::vector<int> last(threads, -1);
  bool each_in_order = true;
  for (int v : got) {
    each_in_order &= v > last[v / per_thread];
    last[v / per_thread] = v;
  }
  CHECK(each_in_order);
}
