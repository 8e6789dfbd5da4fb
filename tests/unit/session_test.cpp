#include "actors/session.hpp"
#include "test_support.hpp"

using namespace herald;
using namespace herald::test;
using namespace std::chrono_literals;

namespace {

// One event as the registry hands it over (a list of one, no drain to report to).
void send_event(const session_actor& session, event_frame ev) {
  caf::anon_send(session, event_atom::value,
                 event_list(std::make_shared<std::vector<event_frame>>(1, std::move(ev))),
                 drain_share{});
}

struct session_fixture : deterministic_system {
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  session_actor session;

  explicit session_fixture(session_limits limits = {}) {
    session_init init;
    init.id = 0x1234;
    init.user = "u1";
    init.allowed = {"admin", "team-*"};
    init.channels = {"admin"};
    init.sink = sink;
    init.limits = std::make_shared<const session_limits>(limits);
    session = spawn_session(sys, init);
    run();
  }
  // A pending resume timer keeps the session alive; end it like the registry would.
  ~session_fixture() {
    caf::anon_send(session, shutdown_atom::value);
    run();
  }
  void inbound(const std::string& text) {
    caf::anon_send(session, inbound_atom::value, text);
    run();
  }
  void publish(const std::string& channel, int n = 1) {
    for (int i = 0; i < n; ++i)
      send_event(session, make_event(channel, "e", "{}"));
    run();
  }
  bool alive() {
    bool down = false;
    self->monitor(session);
    run();
    self->receive([&](caf::down_msg&) { down = true; }, caf::after(0s) >> [] {});
    return !down;
  }
};

session_limits small_limits() {
  session_limits l;
  l.resume_buffer = 3;
  l.resume_window = 10s;
  l.max_frames_per_sec = 5;
  return l;
}

} // namespace

TEST_CASE("a new session greets its client and binds the socket") {
  session_fixture f;
  REQUIRE(f.sink->frames.size() == 1);
  auto w = f.sink->json(0);
  CHECK(w["type"] == "welcome");
  CHECK(w["session_id"] == "s-0000000000001234");
  CHECK(w["user"] == "u1");
  CHECK(w["channels"] == nlohmann::json::array({"user:u1", "admin"}));
  CHECK(w["heartbeat_ms"] == 30000);
  CHECK(w["resumed"] == false);
  CHECK(f.sink->port != nullptr);
}

TEST_CASE("inbound frames: ping, bad input, subscriptions") {
  session_fixture f;
  f.inbound(R"({"type":"ping"})");
  CHECK(f.sink->last()["type"] == "pong");
  CHECK(f.sink->last()["timestamp"].get<std::string>().size() == 24);
  // Any other spelling of a ping (parsed) gets a pong of the same form.
  f.inbound(R"({ "type" : "ping", "n": 1 })");
  auto parsed = f.sink->json(f.sink->frames.size() - 1);
  CHECK(parsed["type"] == "pong");
  CHECK(parsed.size() == 2);
  CHECK(parsed.dump().size() == f.sink->json(f.sink->frames.size() - 2).dump().size());
  f.inbound("{not json");
  CHECK(f.sink->last()["code"] == "bad_json");
  f.inbound(R"([1,2])");
  CHECK(f.sink->last()["code"] == "bad_frame");
  f.inbound(R"({"type":42})");
  CHECK(f.sink->last()["code"] == "bad_frame");
  f.inbound(R"({"type":"dance"})");
  CHECK(f.sink->last()["code"] == "unknown_type");
  f.inbound(R"({"type":"subscribe","channel":7})");
  CHECK(f.sink->last()["code"] == "bad_frame");
  f.inbound(R"({"type":"subscribe","channel":"team-red"})");
  CHECK(f.sink->last() == nlohmann::json{{"type", "subscribed"}, {"channel", "team-red"}});
  f.inbound(R"({"type":"subscribe","channel":"secret"})");
  CHECK(f.sink->last()["code"] == "forbidden_channel");
  f.inbound(R"({"type":"subscribe","channel":"user:u2"})");
  CHECK(f.sink->last()["code"] == "forbidden_channel");
  f.inbound(R"({"type":"unsubscribe","channel":"user:u1"})");
  CHECK(f.sink->last()["code"] == "forbidden_channel");
  f.inbound(R"({"type":"unsubscribe","channel":"team-red"})");
  CHECK(f.sink->last() == nlohmann::json{{"type", "unsubscribed"}, {"channel", "team-red"}});
  auto before = f.sink->frames.size();
  f.inbound(R"({"type":"ack","id":"e-1"})");
  CHECK(f.sink->frames.size() == before); // acks are silent
  f.inbound(R"({"type":"ack"})");
  CHECK(f.sink->last()["code"] == "bad_frame");
  CHECK(f.alive());
}

TEST_CASE("events get gapless per-session seqs and share the publisher's bytes") {
  session_fixture f;
  auto ev = make_event("admin", "hello", R"({"x":1})");
  send_event(f.session, ev);
  f.publish("admin", 2);
  auto events = f.sink->of_type("event");
  REQUIRE(events.size() == 3);
  for (size_t i = 0; i < 3; ++i)
    CHECK(events[i]["seq"] == i + 1);
  CHECK(events[0]["id"] == ev.id());
  CHECK(events[0]["data"]["x"] == 1);
  CHECK(f.sink->tails[1].get() == &ev.data->tail); // no per-session copy of the payload
}

TEST_CASE("events waiting together in the mailbox leave in one write, before what follows them") {
  session_fixture f;
  auto before = f.sink->batch_writes;
  for (int i = 0; i < 3; ++i)
    send_event(f.session, make_event("admin", "e", "{}"));
  caf::anon_send(f.session, inbound_atom::value, std::string(R"({"type":"ping"})"));
  f.run();
  CHECK(f.sink->batch_writes == before + 1);
  auto n = f.sink->frames.size();
  REQUIRE(n >= 4);
  for (size_t i = 0; i < 3; ++i)
    CHECK(f.sink->json(n - 4 + i)["seq"] == i + 1);
  CHECK(f.sink->json(n - 1)["type"] == "pong");
  auto frames_before = f.sink->frames.size();
  send_event(f.session, make_event("admin", "e", "{}"));
  f.run();
  // Alone in the mailbox: written at once, by itself (no batch).
  CHECK(f.sink->frames.size() == frames_before + 1);
  CHECK(f.sink->batch_writes == before + 1);
  CHECK(f.sink->last()["seq"] == 4);
}

TEST_CASE("over max_frames_per_sec the client is told once per window") {
  session_fixture f(small_limits());
  for (int i = 0; i < 8; ++i)
    f.inbound(R"({"type":"ping"})");
  CHECK(f.sink->of_type("pong").size() == 5);
  auto errors = f.sink->of_type("error");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]["code"] == "rate_limited");
}

TEST_CASE("a dropped socket is resumed with exactly the missed frames") {
  session_fixture f(small_limits());
  f.publish("admin", 2); // seq 1, 2 seen by the client
  caf::anon_send(f.session, detach_atom::value, f.sink->id(), close_code::abnormal, true);
  f.publish("admin", 2); // seq 3, 4 missed
  auto fresh = std::make_shared<recording_sink>();
  f.self->send(f.session, attach_atom::value, sink_ptr(fresh), uint64_t{2}, int64_t{0});
  f.run();
  CHECK(f.reply<bool>());
  REQUIRE(fresh->frames.size() == 4);
  CHECK(fresh->json(0)["type"] == "welcome");
  CHECK(fresh->json(0)["resumed"] == true);
  CHECK(fresh->json(1) == nlohmann::json{{"type", "session_restored"},
                                         {"session_id", "s-0000000000001234"},
                                         {"replayed", 2}});
  CHECK(fresh->json(2)["seq"] == 3);
  CHECK(fresh->json(3)["seq"] == 4);
  f.publish("admin");
  CHECK(fresh->last()["seq"] == 5);
  CHECK(f.sink->of_type("event").size() == 2); // nothing went to the old socket
}

TEST_CASE("resume fails when the buffer no longer holds every missed frame") {
  session_fixture f(small_limits());
  caf::anon_send(f.session, detach_atom::value, f.sink->id(), close_code::abnormal, true);
  f.publish("admin", 5); // buffer holds 3, 4, 5
  f.self->send(f.session, attach_atom::value, sink_ptr(std::make_shared<recording_sink>()),
               uint64_t{1}, int64_t{0});
  f.run();
  CHECK_FALSE(f.reply<bool>());
  f.self->send(f.session, attach_atom::value, sink_ptr(std::make_shared<recording_sink>()),
               uint64_t{2}, int64_t{0});
  f.run();
  CHECK(f.reply<bool>());
}

TEST_CASE("a detached session lives for resume_window, then ends") {
  session_fixture f(small_limits());
  caf::anon_send(f.session, detach_atom::value, f.sink->id(), close_code::abnormal, true);
  f.run();
  f.advance(9s);
  CHECK(f.alive());
  f.advance(2s);
  CHECK_FALSE(f.alive());
}

TEST_CASE("a client close with 1000 ends the session at once; a stale detach is ignored") {
  session_fixture f(small_limits());
  caf::anon_send(f.session, detach_atom::value, f.sink->id() + 1, close_code::normal, false);
  f.run();
  CHECK(f.alive());
  caf::anon_send(f.session, detach_atom::value, f.sink->id(), close_code::normal, false);
  f.run();
  CHECK_FALSE(f.alive());
}

TEST_CASE("shutdown closes the socket with 1001") {
  session_fixture f;
  caf::anon_send(f.session, shutdown_atom::value);
  f.run();
  CHECK(f.sink->closed_code == close_code::going_away);
  CHECK_FALSE(f.sink->closed_abort);
  CHECK_FALSE(f.alive());
}
