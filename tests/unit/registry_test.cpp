#include "actors/registry.hpp"
#include "runtime/fanout_element.hpp"
#include "test_support.hpp"

using namespace herald;
using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct registry_fixture : deterministic_system {
  registry_actor registry;

  explicit registry_fixture(uint32_t batches_in_flight = 16,
                            uint64_t publish_backlog_max = 100000) {
    registry_limits limits;
    limits.batches_in_flight = batches_in_flight;
    limits.publish_backlog_max = publish_backlog_max;
    limits.session.heartbeat_interval = 1s;
    limits.session.stale_after = 3s;
    limits.session.resume_window = 30s;
    registry = spawn_registry(sys, limits, registry_thread::scheduled);
    run();
  }

  // Pending timers keep the registry and detached sessions alive: end them
  // as main does, or the actor system waits for them forever.
  ~registry_fixture() {
    caf::anon_send(registry, shutdown_atom::value);
    run();
    self->send_exit(registry, caf::exit_reason::user_shutdown);
    run();
  }

  std::shared_ptr<recording_sink> connect(const std::string& user,
                                          std::vector<std::string> channels = {},
                                          const std::string& resume_id = "",
                                          uint64_t last_seq = 0) {
    auto sink = std::make_shared<recording_sink>();
    connect_request req;
    req.sink = sink;
    req.user = user;
    req.allowed = {"*"};
    req.channels = std::move(channels);
    req.resume_id = resume_id;
    req.last_seq = last_seq;
    caf::anon_send(registry, connect_atom::value, req);
    run();
    return sink;
  }

  // Sends a publish without running anything.
  void send_publish(publish_target target, const std::string& name) {
    publish_request req;
    req.target = target;
    req.name = name;
    req.event = make_event(name, "e", "{}");
    self->send(registry, publish_atom::value, req);
  }

  uint64_t publish(publish_target target, const std::string& name) {
    send_publish(target, name);
    run();
    advance(1ms); // a publish soon after another waits a moment to be corked with the next
    return reply<publish_outcome>().delivered;
  }

  // Runs the registry's messages only; every session waits.
  void run_registry_only() {
    while (sched.prioritize(registry))
      sched.run_once();
  }

  // The publish answers that have arrived so far.
  std::vector<publish_outcome> answers() {
    std::vector<publish_outcome> out;
    for (bool more = true; more;)
      self->receive([&](publish_outcome& o) { out.push_back(o); },
                    caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
    return out;
  }

  registry_stats stats() {
    self->send(registry, stats_atom::value);
    run();
    return reply<registry_stats>();
  }

  presence_info presence(const std::string& user) {
    self->send(registry, presence_atom::value, user);
    run();
    return reply<presence_info>();
  }

  void say(const std::shared_ptr<recording_sink>& sink, const std::string& text) {
    sink->port->on_text(text);
    run();
  }
};

std::string welcome_session_id(const std::shared_ptr<recording_sink>& sink) {
  return sink->json(0)["session_id"];
}

} // namespace

TEST_CASE("publish reaches a user's sessions, a channel's, or everyone, and counts them") {
  registry_fixture f;
  auto a = f.connect("u1", {"admin"});
  auto b = f.connect("u1");
  auto c = f.connect("u2");
  CHECK(f.publish(publish_target::user, "u1") == 2);
  CHECK(f.publish(publish_target::channel, "admin") == 1);
  CHECK(f.publish(publish_target::broadcast, "") == 3);
  CHECK(f.publish(publish_target::user, "nobody") == 0);
  CHECK(f.publish(publish_target::channel, "empty") == 0);
  CHECK(a->of_type("event").size() == 3);
  CHECK(b->of_type("event").size() == 2);
  CHECK(c->of_type("event").size() == 1);
  auto st = f.stats();
  CHECK(st.sessions == 3);
  CHECK(st.attached == 3);
  CHECK(st.users == 2);
  CHECK(st.channels == 1);
}

TEST_CASE(
    "at delivery.batches_in_flight, publishes wait unanswered until every session took a drain") {
  registry_fixture f{1};
  auto a = f.connect("u1", {"news"});
  auto b = f.connect("u2", {"news"});
  // A frame from a's client schedules a on its own (not yet run), so it can
  // take its share below while b, scheduled with the fan-out, waits.
  a->port->on_text(R"({"type":"ping"})");
  f.send_publish(publish_target::channel, "news");
  f.run_registry_only();
  CHECK(f.answers().size() == 1); // drained: answered, though no session has taken it yet
  CHECK(a->of_type("event").empty());
  f.send_publish(publish_target::channel, "news");
  f.send_publish(publish_target::broadcast, "");
  f.sched.advance_time(std::chrono::milliseconds(50)); // well past the cork window
  f.run_registry_only();
  CHECK(f.answers().empty()); // the one drain allowed is still open
  // Session a takes its share; b still holds one: the drain stays open.
  session_query by_user;
  by_user.user = "u1";
  f.self->send(f.registry, actors_atom::value, by_user);
  f.run_registry_only();
  auto page = f.reply<session_page>();
  REQUIRE(page.sessions.size() == 1);
  while (f.sched.prioritize(page.sessions[0]))
    f.sched.run_once();
  CHECK(a->of_type("event").size() == 1);
  f.run_registry_only();
  CHECK(f.answers().empty());
  CHECK(b->of_type("event").empty());
  // b takes its share too: the waiting publishes go out as the next drain.
  f.run();
  auto late = f.answers();
  REQUIRE(late.size() == 2);
  CHECK(late[0].delivered == 2);
  CHECK(late[1].delivered == 2);
  for (auto& sink : {a, b}) {
    auto events = sink->of_type("event");
    REQUIRE(events.size() == 3);
    for (size_t i = 0; i < 3; ++i)
      CHECK(events[i]["seq"] == i + 1);
  }
}

TEST_CASE("past delivery.publish_backlog_max waiting publishes, more are refused with an error") {
  registry_fixture f{1, 1};
  auto a = f.connect("u1", {"news"});
  f.send_publish(publish_target::channel, "news");
  f.run_registry_only();
  CHECK(f.answers().size() == 1);                  // drained; the session has not taken it yet
  f.send_publish(publish_target::channel, "news"); // waits: the one drain allowed is open
  f.send_publish(publish_target::channel, "news"); // over the backlog of 1
  f.sched.advance_time(std::chrono::milliseconds(50));
  f.run_registry_only();
  bool refused = false;
  f.self->receive([&](caf::error& e) { refused = e == caf::sec::runtime_error; },
                  caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(refused);
  f.run();
  CHECK(f.answers().size() == 1); // the waiting one went out once the session took the first
  CHECK(a->of_type("event").size() == 2);
}

TEST_CASE(
    "a publisher that waits for each answer is not corked; publishes arriving during a drain are") {
  registry_fixture f;
  auto a = f.connect("u1", {"news"});
  auto b = f.connect("u2", {"news"});
  f.send_publish(publish_target::channel, "news");
  f.run();
  REQUIRE(f.answers().size() == 1);
  // The next publish, right after the answer (no time passes), with every
  // session done: delivered at once, not held for the cork window.
  f.send_publish(publish_target::channel, "news");
  f.run_registry_only();
  CHECK(f.answers().size() == 1);
  // Another while the sessions have not taken that drain yet: corked.
  f.send_publish(publish_target::channel, "news");
  f.run_registry_only();
  CHECK(f.answers().empty());
  f.run(); // the sessions take the drain; the corked publish still waits for its moment
  CHECK(f.answers().empty());
  // A publish came while that drain was in flight: the next one is corked
  // too, though every session is done by now, and they travel together.
  f.send_publish(publish_target::channel, "news");
  f.run_registry_only();
  CHECK(f.answers().empty());
  f.sched.advance_time(1ms);
  f.run();
  CHECK(f.answers().size() == 2);
  // That drain's flight saw no other publish: back to delivering at once.
  f.send_publish(publish_target::channel, "news");
  f.run_registry_only();
  CHECK(f.answers().size() == 1);
  f.run();
  for (auto& sink : {a, b}) {
    auto events = sink->of_type("event");
    REQUIRE(events.size() == 5);
    for (size_t i = 0; i < 5; ++i)
      CHECK(events[i]["seq"] == i + 1);
  }
}

TEST_CASE(
    "a fan-out schedules its idle sessions as one job; a later drain joins them in one write") {
  registry_fixture f;
  std::vector<std::shared_ptr<recording_sink>> sinks;
  for (int i = 0; i < 3; ++i)
    sinks.push_back(f.connect("u" + std::to_string(i), {"news"}));
  std::vector<size_t> writes_before;
  for (auto& s : sinks)
    writes_before.push_back(s->batch_writes);
  f.send_publish(publish_target::channel, "news");
  f.run_registry_only();
  CHECK(f.sched.jobs.size() == 1); // three sessions, one scheduler job
  f.send_publish(publish_target::channel, "news");
  f.sched.advance_time(std::chrono::milliseconds(50));
  f.run_registry_only();
  CHECK(f.sched.jobs.size() == 1); // already scheduled: the second drain waits in their mailboxes
  f.run();
  for (size_t i = 0; i < sinks.size(); ++i) {
    CHECK(sinks[i]->of_type("event").size() == 2);
    CHECK(sinks[i]->batch_writes == writes_before[i] + 1); // both events in one write
  }
}

TEST_CASE(
    "after a second without drains the registry frees fan-out elements beyond one per session") {
  registry_fixture f;
  auto a = f.connect("u1");
  auto b = f.connect("u2");
  auto c = f.connect("u3");
  // Five drains wait in every mailbox at once: fifteen elements.
  for (int i = 0; i < 5; ++i) {
    f.send_publish(publish_target::broadcast, "");
    f.sched.advance_time(50ms); // past the cork window, running nothing
    f.run_registry_only();
  }
  CHECK(fanout_elements_alive() >= 15);
  f.run();
  CHECK(a->of_type("event").size() == 5);
  CHECK(fanout_elements_alive() >= 15); // given back, kept for reuse
  f.advance(2s);
  f.run();
  CHECK(fanout_elements_alive() <= 3);
  CHECK(f.publish(publish_target::broadcast, "") == 3); // and fan-outs go on as before
  CHECK(c->of_type("event").size() == 6);
}

TEST_CASE("subscribe and unsubscribe change what a channel publish reaches") {
  registry_fixture f;
  auto a = f.connect("u1");
  CHECK(f.publish(publish_target::channel, "news") == 0);
  f.say(a, R"({"type":"subscribe","channel":"news"})");
  CHECK(f.publish(publish_target::channel, "news") == 1);
  f.say(a, R"({"type":"unsubscribe","channel":"news"})");
  CHECK(f.publish(publish_target::channel, "news") == 0);
  CHECK(f.stats().channels == 0);
}

TEST_CASE(
    "a channel publish reaches exactly its members after others left it or closed, in any order") {
  registry_fixture f;
  std::vector<std::shared_ptr<recording_sink>> s;
  for (int i = 0; i < 6; ++i)
    s.push_back(f.connect("u" + std::to_string(i), {"news", i % 2 ? "odd" : "even"}));
  // Leave from the middle and the front, close one: each gap is filled by the last member.
  f.say(s[2], R"({"type":"unsubscribe","channel":"news"})");
  f.say(s[0], R"({"type":"unsubscribe","channel":"news"})");
  s[3]->port->on_closed(s[3]->id(), close_code::normal, false);
  f.run();
  f.say(s[5], R"({"type":"unsubscribe","channel":"odd"})");
  CHECK(f.publish(publish_target::channel, "news") == 3); // 1, 4, 5
  CHECK(f.publish(publish_target::channel, "odd") == 1);  // 1
  CHECK(f.publish(publish_target::channel, "even") == 3); // 0, 2, 4
  CHECK(f.publish(publish_target::broadcast, "") == 5);
  std::vector<size_t> events;
  for (auto& sink : s)
    events.push_back(sink->of_type("event").size());
  CHECK(events == std::vector<size_t>{2, 3, 2, 0, 3, 2});
  // Rejoining after a leave is counted once.
  f.say(s[0], R"({"type":"subscribe","channel":"news"})");
  f.say(s[0], R"({"type":"subscribe","channel":"news"})");
  CHECK(f.publish(publish_target::channel, "news") == 4);
  CHECK(f.stats().channels == 3);
  // A session waiting for resume keeps its seat but is not counted as reached.
  s[1]->port->on_closed(s[1]->id(), close_code::abnormal, true);
  f.run();
  CHECK(f.publish(publish_target::channel, "news") == 3);
  CHECK(f.publish(publish_target::channel, "odd") == 0);
  CHECK(f.stats().sessions == 5);
}

TEST_CASE("presence: unknown, connected, then offline with last_seen kept") {
  registry_fixture f;
  auto never = f.presence("ghost");
  CHECK_FALSE(never.connected);
  CHECK_FALSE(never.last_seen);
  auto a = f.connect("u1");
  f.say(a, R"({"type":"ping"})");
  auto on = f.presence("u1");
  CHECK(on.connected);
  CHECK(on.sessions == 1);
  REQUIRE(on.last_seen);
  a->port->on_closed(a->id(), close_code::normal, false);
  f.run();
  auto off = f.presence("u1");
  CHECK_FALSE(off.connected);
  CHECK(off.sessions == 0);
  CHECK(off.last_seen);
  auto st = f.stats();
  CHECK(st.sessions == 0);
  CHECK(st.users == 0);
}

TEST_CASE("presence of a connected user is its sessions' last inbound frame, not a registry copy") {
  registry_fixture f;
  auto a = f.connect("u1");
  auto b = f.connect("u1");
  f.say(a, R"({"type":"ping"})");
  f.advance(2s); // simulated: both sessions silent for 2 s
  auto before = std::chrono::system_clock::now();
  auto quiet = f.presence("u1");
  REQUIRE(quiet.last_seen);
  CHECK(*quiet.last_seen < before);
  f.say(b, R"({"type":"ping"})"); // no message to the registry: the session's own clock moves
  auto fresh = f.presence("u1");
  REQUIRE(fresh.last_seen);
  CHECK(*fresh.last_seen >= before); // only the session knew of this ping
  CHECK(*fresh.last_seen > *quiet.last_seen);
  CHECK(fresh.sessions == 2);
}

TEST_CASE("heartbeat pings every interval; silence past stale_after evicts, app pings keep alive") {
  registry_fixture f;
  auto quiet = f.connect("quiet");
  auto chatty = f.connect("chatty");
  for (int s = 0; s < 5; ++s) {
    f.say(chatty, R"({"type":"ping"})"); // app-level pings only: never a protocol pong
    f.advance(1s);
  }
  CHECK(quiet->pings >= 2);
  CHECK(quiet->closed_code == close_code::stale);
  CHECK(quiet->closed_abort); // dropped at once, no waiting for the client
  CHECK(chatty->closed_code == 0);
  auto st = f.stats();
  CHECK(st.evicted_stale == 1);
  CHECK(st.sessions == 1);
  CHECK(f.presence("chatty").connected);
}

TEST_CASE(
    "a session whose handler throws is closed, removed and counted as its supervisor's failure") {
  registry_fixture f;
  auto a = f.connect("u1");
  auto b = f.connect("u2");
  a->throw_on_ping = true;
  f.say(a, R"({"type":"ping"})");
  f.say(b, R"({"type":"ping"})");
  f.advance(1s); // the heartbeat: a's sink throws
  CHECK(a->closed_code == close_code::internal_error);
  CHECK(b->closed_code == 0);
  CHECK(f.stats().sessions == 1);
  f.self->send(f.registry, info_atom::value);
  f.run();
  auto info = f.reply<actor_info>();
  CHECK(info.failures == 1);
  CHECK(info.last_error.find("runtime_error") != std::string::npos);
}

TEST_CASE("a protocol pong (any control frame) also keeps a session alive") {
  registry_fixture f;
  auto a = f.connect("u1");
  for (int s = 0; s < 6; ++s) {
    a->port->on_touch(1);
    f.run();
    f.advance(1s);
  }
  CHECK(a->closed_code == 0);
  CHECK(f.stats().evicted_stale == 0);
}

TEST_CASE("resume through the registry; a session of another user is never handed over") {
  registry_fixture f;
  auto a = f.connect("u1");
  auto id = welcome_session_id(a);
  f.publish(publish_target::user, "u1");
  a->port->on_closed(a->id(), close_code::abnormal, true);
  f.run();
  CHECK_FALSE(f.presence("u1").connected);
  CHECK(f.publish(publish_target::user, "u1") == 0); // buffered, not delivered live

  auto thief = f.connect("u2", {}, id, 0);
  CHECK(thief->json(0)["resumed"] == false);
  CHECK(welcome_session_id(thief) != id);

  auto back = f.connect("u1", {}, id, 1);
  CHECK(back->json(0)["resumed"] == true);
  CHECK(welcome_session_id(back) == id);
  CHECK(back->json(1)["replayed"] == 1);
  CHECK(back->json(2)["seq"] == 2);
  CHECK(f.presence("u1").connected);

  auto unknown = f.connect("u1", {}, "s-nope", 3);
  CHECK(unknown->json(0)["resumed"] == false);
}

TEST_CASE("shutdown closes every session with 1001") {
  registry_fixture f;
  auto a = f.connect("u1");
  auto b = f.connect("u2");
  caf::anon_send(f.registry, shutdown_atom::value);
  f.run();
  CHECK(a->closed_code == close_code::going_away);
  CHECK(b->closed_code == close_code::going_away);
  CHECK(f.stats().sessions == 0);
}

TEST_CASE("the registry finds sessions by user, by channel, or both, and pages them by id") {
  registry_fixture f;
  auto a = f.connect("u1", {"news"});
  auto b = f.connect("u2", {"news", "sports"});
  auto c = f.connect("u3", {"sports"});
  f.run();
  auto ask = [&](std::string user, std::string channel, uint64_t limit = 100, uint64_t offset = 0) {
    session_query q;
    q.user = std::move(user);
    q.channel = std::move(channel);
    q.limit = limit;
    q.offset = offset;
    f.self->send(f.registry, actors_atom::value, q);
    f.run_registry_only();
    return f.reply<session_page>();
  };
  CHECK(ask("", "sports").total == 2);
  CHECK(ask("", "news").total == 2);
  CHECK(ask("u2", "news").total == 1);
  CHECK(ask("u1", "sports").total == 0);
  CHECK(ask("", "nobody-here").total == 0);
  auto all = ask("", "");
  CHECK(all.total == 3);
  auto second = ask("", "", 1, 1);
  CHECK(second.total == 3);
  REQUIRE(second.sessions.size() == 1);
  CHECK(second.sessions[0] == all.sessions[1]);
}
