#include "store_backends.hpp"

#include "persistence/store_worker.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <future>
#include <thread>

using namespace herald;
using namespace herald::persistence;
using herald::test::temp_dir;

namespace {

std::vector<std::string> ids(const std::vector<inbox_item>& items) {
  std::vector<std::string> out;
  for (auto& i : items)
    out.push_back(i.event_id);
  return out;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("an inbox returns what is newer than the user's cursor, oldest first") {
  test::for_each_backend([](store& s) {
    auto p1 = s.inbox_append("u1", "e1", ",\"a\":1}", 1000);
    auto p2 = s.inbox_append("u1", "e2", ",\"a\":2}", 1001);
    s.inbox_append("u2", "x1", "{}", 1001);
    CHECK(p1 < p2);
    CHECK(ids(s.inbox_pending("u1", 2000)) == strings{"e1", "e2"});
    CHECK(s.inbox_pending("u1", 2000)[1].tail == ",\"a\":2}");
    s.cursor_advance("u1", p1);
    CHECK(ids(s.inbox_pending("u1", 2000)) == strings{"e2"});
    CHECK(ids(s.inbox_pending("u2", 2000)) == strings{"x1"});
    CHECK(s.inbox_pending("nobody", 2000).empty());
  });
}

TEST_CASE("an inbox read after an event the client names ignores the cursor; an unknown one "
          "falls back to it") {
  test::for_each_backend([](store& s) {
    s.inbox_append("u1", "e1", "{}", 1000);
    s.inbox_append("u1", "e2", "{}", 1000);
    auto p3 = s.inbox_append("u1", "e3", "{}", 1000);
    s.cursor_advance("u1", p3); // written to a socket, maybe never read
    CHECK(s.inbox_pending("u1", 1000).empty());
    CHECK(ids(s.inbox_pending("u1", 1000, "e1")) == strings{"e2", "e3"});
    CHECK(ids(s.inbox_pending("u1", 1000, "e3")).empty());
    CHECK(s.inbox_pending("u1", 1000, "e-unknown").empty()); // the cursor
    CHECK(s.inbox_pending("u2", 1000, "e1").empty());        // another user's event
  });
}

TEST_CASE("a cursor never moves back") {
  test::for_each_backend([](store& s) {
    auto p1 = s.inbox_append("u1", "e1", "{}", 1000);
    auto p2 = s.inbox_append("u1", "e2", "{}", 1000);
    CHECK(s.cursor("u1").empty());
    s.cursor_advance("u1", p2);
    s.cursor_advance("u1", p1);
    CHECK(s.cursor("u1") == p2);
    CHECK(s.inbox_pending("u1", 1000).empty());
  });
}

TEST_CASE("an inbox keeps the newest inbox_max events") {
  test::for_each_backend([](store& s) {
    for (int i = 1; i <= 8; ++i)
      s.inbox_append("u1", "e" + std::to_string(i), "{}", 1000);
    CHECK(ids(s.inbox_pending("u1", 1000)) == strings{"e4", "e5", "e6", "e7", "e8"});
  });
}

TEST_CASE("events older than inbox_ttl are not replayed and expire") {
  test::for_each_backend([](store& s) {
    s.inbox_append("u1", "old", "{}", 1'000);
    s.inbox_append("u1", "new", "{}", 50'000);
    CHECK(ids(s.inbox_pending("u1", 70'000)) == strings{"new"});
    s.expire(70'000);
    s.inbox_append("u1", "newer", "{}", 70'000);
    CHECK(ids(s.inbox_pending("u1", 0)) == strings{"new", "newer"});
  });
}

TEST_CASE("sqlite keeps inbox and cursor across a reopen, and refuses a newer schema") {
  temp_dir dir;
  auto path = (dir.path / "h.db").string();
  inbox_pos p1;
  {
    sqlite_store s(path, test::small_limits());
    p1 = s.inbox_append("u1", "e1", "{}", 1000);
    s.inbox_append("u1", "e2", "{}", 1000);
    s.cursor_advance("u1", p1);
  }
  {
    sqlite_store s(path, test::small_limits());
    CHECK(s.cursor("u1") == p1);
    CHECK(ids(s.inbox_pending("u1", 1000)) == strings{"e2"});
  }
  {
    sqlite_store s(path, test::small_limits());
    s.batch_begin();
    s.inbox_append("u1", "e3", "{}", 1000);
    s.batch_abort();
    CHECK(ids(s.inbox_pending("u1", 1000)) == strings{"e2"});
  }
  // A file written by a newer Herald is not touched.
  { sqlite_store s(path, test::small_limits()); }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  CHECK_THROWS_WITH_AS(sqlite_store(path, test::small_limits()),
                       doctest::Contains("newer than this build"), store_error);
}

TEST_CASE("sqlite says which path it cannot open") {
  CHECK_THROWS_WITH_AS(sqlite_store("/proc/no/such/place/h.db", test::small_limits()),
                       doctest::Contains("/proc/no/such/place"), store_error);
}

TEST_CASE("the store worker runs jobs in order and reports each outcome after it is durable") {
  temp_dir dir;
  store_worker worker(
      std::make_unique<sqlite_store>((dir.path / "h.db").string(), test::small_limits()), 100);
  CHECK(std::string(worker.backend()) == "sqlite");
  std::vector<std::string> order;
  std::promise<void> all_done;
  for (int i = 0; i < 20; ++i)
    REQUIRE(worker.post({[i](store& s) { s.inbox_append("u", "e" + std::to_string(i), "{}", 1); },
                         [&, i](bool ok, const std::string&) {
                           CHECK(ok);
                           order.push_back("e" + std::to_string(i));
                           if (i == 19)
                             all_done.set_value();
                         }}));
  all_done.get_future().wait();
  CHECK(order.size() == 20);
  CHECK(order.front() == "e0");
  CHECK(order.back() == "e19");

  // A failing job is told so; its neighbours in the same batch still succeed.
  std::promise<std::pair<bool, std::string>> failed;
  std::promise<bool> after;
  worker.post({[](store&) { throw store_error("disk on fire"); },
               [&](bool ok, const std::string& e) {
                 failed.set_value({ok, e});
               }});
  worker.post({[](store& s) { s.inbox_append("u", "e20", "{}", 1); },
               [&](bool ok, const std::string&) { after.set_value(ok); }});
  auto [ok, error] = failed.get_future().get();
  CHECK_FALSE(ok);
  CHECK(error == "disk on fire");
  CHECK(after.get_future().get());
  worker.stop();
  sqlite_store reopened((dir.path / "h.db").string(), test::small_limits());
  CHECK(ids(reopened.inbox_pending("u", 1)) == strings{"e16", "e17", "e18", "e19", "e20"});
}

TEST_CASE("the store worker refuses jobs beyond storage.queue_max") {
  std::promise<void> release;
  auto gate = release.get_future().share();
  store_worker worker(std::make_unique<memory_store>(test::small_limits()), 2);
  std::promise<void> started;
  // The first job holds the thread, so the next ones queue up.
  CHECK(worker.post({[&, gate](store&) {
                       started.set_value();
                       gate.wait();
                     },
                     nullptr}));
  started.get_future().wait();
  CHECK(worker.post({[](store&) {}, nullptr}));
  CHECK(worker.post({[](store&) {}, nullptr}));
  CHECK_FALSE(worker.post({[](store&) {}, nullptr}));
  CHECK(worker.refused() == 1);
  release.set_value();
  worker.stop();
  CHECK_FALSE(worker.post({[](store&) {}, nullptr}));
}

namespace {

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

job new_job(const std::string& id, const std::string& sink, int64_t now) {
  job j;
  j.id = id;
  j.sink = sink;
  j.to = "ops@example.org";
  j.text = "complaint " + id;
  j.data = R"({"n":1})";
  j.created_ms = j.run_at_ms = now;
  return j;
}

strings job_ids(const std::vector<job>& jobs) {
  strings out;
  for (auto& j : jobs)
    out.push_back(j.id);
  return out;
}

// Jobs use the wall clock: Redis measures leases in real time.
void for_each_job_backend(const std::function<void(store&)>& body) {
  test::for_each_backend([&](store& s) { body(s); });
}

} // namespace

TEST_CASE("a job is leased once, and taken again when its lease runs out") {
  for_each_job_backend([](store& s) {
    auto t = wall_now_ms();
    s.job_add(new_job("j1", "hook", t));
    s.job_add(new_job("j2", "hook", t + 1));
    s.job_add(new_job("x1", "other", t));
    auto got = s.job_claim("hook", 10, t + 5, t + 5 + 60);
    CHECK(job_ids(got) == strings{"j1", "j2"});
    CHECK(got[0].to == "ops@example.org");
    CHECK(got[0].data == R"({"n":1})");
    CHECK(got[0].state == job_state::active);
    CHECK(s.job_claim("hook", 10, t + 6, t + 6 + 60).empty());
    CHECK(s.job_count(t + 6).active == 2);
    CHECK(s.job_count(t + 6).waiting == 1); // the other sink's
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = wall_now_ms();
    // A node that died holding them: another claim takes them over.
    CHECK(job_ids(s.job_claim("hook", 1, now, now + 60)) == strings{"j1"});
  });
}

TEST_CASE("a rescheduled job waits for its time; a finished one is gone") {
  for_each_job_backend([](store& s) {
    auto t = wall_now_ms();
    s.job_add(new_job("j1", "hook", t));
    REQUIRE(s.job_claim("hook", 10, t, t + 30'000).size() == 1);
    s.job_reschedule("j1", 1, t + 500, "HTTP 500");
    CHECK(s.job_claim("hook", 10, t + 100, t + 30'000).empty());
    auto c = s.job_count(t + 100);
    CHECK((c.waiting == 0 && c.delayed == 1 && c.active == 0));
    auto again = s.job_claim("hook", 10, t + 600, t + 30'000);
    REQUIRE(again.size() == 1);
    CHECK(again[0].attempts == 1);
    CHECK(again[0].last_error == "HTTP 500");
    s.job_finish("j1");
    auto done = s.job_count(t + 600);
    CHECK((done.waiting + done.delayed + done.active + done.dead) == 0);
    CHECK(s.job_claim("hook", 10, t + 100'000, t + 130'000).empty());
  });
}

TEST_CASE("dead jobs stay in the bounded DLQ until retried or deleted") {
  for_each_job_backend([](store& s) {
    auto t = wall_now_ms();
    for (auto id : {"d1", "d2", "d3"})
      s.job_add(new_job(id, "hook", t));
    REQUIRE(s.job_claim("hook", 10, t, t + 30'000).size() == 3);
    CHECK(s.job_bury("d1", 3, "HTTP 503", t + 1, 2));
    CHECK(s.job_bury("d2", 3, "timeout", t + 2, 2));
    CHECK_FALSE(s.job_bury("d3", 3, "HTTP 503", t + 3, 2)); // full: d3 stays where it was
    auto dlq = s.dlq_list(10, 0);
    REQUIRE(dlq.size() == 2);
    CHECK(dlq[0].id == "d2"); // newest death first
    CHECK(dlq[0].attempts == 3);
    CHECK(dlq[0].last_error == "timeout");
    CHECK(dlq[0].failed_at_ms == t + 2);
    CHECK(s.job_count(t).dead == 2);
    // A page at a time, newest first.
    auto second = s.dlq_list(1, 1);
    REQUIRE(second.size() == 1);
    CHECK(second[0].id == "d1");
    CHECK(s.dlq_list(10, 2).empty());
    CHECK(s.dlq_list(0, 0).empty());

    auto back = s.dlq_retry("d1", t + 10);
    REQUIRE(back);
    CHECK(back->attempts == 0);
    CHECK(back->sink == "hook");
    CHECK_FALSE(s.dlq_retry("d1", t + 10)); // not dead any more
    CHECK_FALSE(s.dlq_retry("nope", t + 10));
    auto claimed = s.job_claim("hook", 10, t + 20, t + 30'000);
    CHECK(job_ids(claimed) == strings{"d1"});
    CHECK(claimed[0].attempts == 0);

    CHECK(s.dlq_delete("d2"));
    CHECK_FALSE(s.dlq_delete("d2"));
    CHECK(s.dlq_list(10, 0).empty());
  });
}

TEST_CASE("opt-ins are kept per sink") {
  for_each_job_backend([](store& s) {
    CHECK_FALSE(s.optin_has("tg", "42"));
    s.optin_set("tg", "42", true);
    CHECK(s.optin_has("tg", "42"));
    CHECK_FALSE(s.optin_has("other", "42"));
    s.optin_set("tg", "42", false);
    CHECK_FALSE(s.optin_has("tg", "42"));
  });
}
