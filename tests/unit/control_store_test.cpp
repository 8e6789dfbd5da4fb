// The control API's part of every store backend (memory, a real SQLite
// file, a real Redis): idempotency keys, the whole inbox, receipts.
#include "store_backends.hpp"

#include <doctest/doctest.h>

using namespace herald;
using namespace herald::persistence;

namespace {
const std::string tail = ",\"n\":0}";
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
} // namespace

TEST_CASE("an idempotency key: claimed once, pending, then its answer; released to claim again") {
  test::for_each_backend([](store& s) {
    auto t = now_ms();
    CHECK_FALSE(s.idempotency_claim("k1", t, 60'000));            // ours
    CHECK(s.idempotency_claim("k1", t, 60'000) == std::string()); // in progress
    s.idempotency_keep("k1", R"({"id":"e-1"})", t, 60'000);
    CHECK(s.idempotency_claim("k1", t + 10, 60'000) == R"({"id":"e-1"})");
    CHECK_FALSE(s.idempotency_claim("k2", t, 60'000));
    s.idempotency_release("k2");
    CHECK_FALSE(s.idempotency_claim("k2", t, 60'000)); // a failed publish may be sent again
  });
}

TEST_CASE("an idempotency key is forgotten after its window") {
  test::for_each_backend([](store& s) {
    auto t = now_ms();
    CHECK_FALSE(s.idempotency_claim("short", t, 50));
    s.idempotency_keep("short", "{}", t, 50);
    std::this_thread::sleep_for(std::chrono::milliseconds(120)); // Redis expires by its own clock
    CHECK_FALSE(s.idempotency_claim("short", now_ms(), 50));
  });
}

TEST_CASE("inbox_all gives every kept event whatever the cursor") {
  test::for_each_backend([](store& s) {
    auto t = now_ms();
    auto p1 = s.inbox_append("ann", "e1", tail, t);
    s.inbox_append("ann", "e2", tail, t + 1);
    s.cursor_advance("ann", p1);
    auto all = s.inbox_all("ann", t + 2);
    REQUIRE(all.size() == 2);
    CHECK(all[0].event_id == "e1");
    CHECK(all[1].event_id == "e2");
    CHECK(s.inbox_all("nobody", t).empty());
  });
}

TEST_CASE("receipts: deliveries per session, acked when the ack log passes the event") {
  test::for_each_backend([](store& s) {
    auto t = now_ms();
    auto p1 = s.inbox_append("bea", "e1", tail, t);
    auto p2 = s.inbox_append("bea", "e2", tail, t + 1);
    auto p3 = s.inbox_append("bea", "e3", tail, t + 2);
    s.receipt_delivered("e1", {{"s-1", "node-a", t + 5}});
    s.receipt_delivered("e1", {{"s-1", "node-a", t + 9}, {"s-2", "node-b", t + 6}}); // s-1 once
    auto r = s.receipt("bea", "e1", p1);
    REQUIRE(r.delivered.size() == 2);
    CHECK(r.delivered[0].session == "s-1");
    CHECK(r.delivered[0].node == "node-a");
    CHECK(r.delivered[0].at_ms == t + 5);
    CHECK(r.delivered[1].node == "node-b");
    CHECK(r.acked_ms == 0);
    s.receipt_acked("bea", p2, t + 20); // e1 and e2 acked at once
    s.receipt_acked("bea", p1, t + 30); // behind the log: changes nothing
    CHECK(s.receipt("bea", "e1", p1).acked_ms == t + 20);
    CHECK(s.receipt("bea", "e2", p2).acked_ms == t + 20);
    CHECK(s.receipt("bea", "e3", p3).acked_ms == 0);
    s.receipt_acked("bea", p3, t + 40);
    CHECK(s.receipt("bea", "e3", p3).acked_ms == t + 40);
    CHECK(s.receipt("bea", "e2", p2).delivered.empty());
  });
}

TEST_CASE("a receipt names at most receipt_deliveries_max sessions") {
  test::for_each_backend([](store& s) {
    auto t = now_ms();
    auto p = s.inbox_append("cy", "e1", tail, t);
    std::vector<receipt_record::delivery> many;
    for (size_t i = 0; i < receipt_deliveries_max + 5; ++i)
      many.push_back({"s-" + std::to_string(i), "n", t});
    s.receipt_delivered("e1", {many.begin(), many.begin() + 10});
    s.receipt_delivered("e1", many);
    CHECK(s.receipt("cy", "e1", p).delivered.size() == receipt_deliveries_max);
  });
}

TEST_CASE("a kept user event is found by its id alone") {
  test::for_each_backend([](store& s) {
    auto t = now_ms();
    s.inbox_append("dan", "e1", tail, t);
    auto p2 = s.inbox_append("eli", "e2", tail, t + 1);
    auto found = s.inbox_event("e2", t + 2);
    REQUIRE(found);
    CHECK(found->first == "eli");
    CHECK(found->second.pos == p2);
    CHECK(found->second.tail == tail);
    CHECK_FALSE(s.inbox_event("e9", t + 2));
  });
}
