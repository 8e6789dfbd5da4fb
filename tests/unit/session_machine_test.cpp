// The session's logic without an actor: a hand-driven clock and a record of
// what it asks of the world.
#include "actors/session_machine.hpp"
#include "recording_sink.hpp"

#include <doctest/doctest.h>

using namespace herald;
using namespace herald::test;
using namespace std::chrono_literals;

namespace {

// The machine with its effects recorded, on a clock the test moves.
struct recorded_machine final : session_machine {
  using session_machine::session_machine;
  int64_t clock_ns = 1'000'000'000;
  bool mailbox_waiting = false;
  std::vector<std::string> joins, leaves;
  std::vector<history_since> join_since;
  std::vector<bool> attached_reports;
  int evictions = 0;
  int inbox_loads = 0;
  std::string inbox_after;
  std::vector<persistence::inbox_pos> cursors;
  std::vector<std::pair<std::chrono::milliseconds, uint64_t>> expiries;
  bool quit_called = false;
  int64_t wall_ms = 1'000'000'000'000;
  std::vector<std::pair<std::chrono::milliseconds, uint64_t>> token_timers;
  std::vector<std::string> tokens_checked;
  std::vector<std::string> written; // stored events reported for receipts

  void advance(std::chrono::nanoseconds d) { clock_ns += d.count(); }

private:
  int64_t now_ns() const override { return clock_ns; }
  bool more_waiting() const override { return mailbox_waiting; }
  std::shared_ptr<session_port> port() override { return nullptr; }
  void joined(const std::string& c, const history_since& since) override {
    joins.push_back(c);
    join_since.push_back(since);
  }
  void left(const std::string& c) override { leaves.push_back(c); }
  void attached_changed(bool a) override { attached_reports.push_back(a); }
  void evicted() override { ++evictions; }
  void load_inbox(const std::string& after) override {
    ++inbox_loads;
    inbox_after = after;
  }
  void move_cursor(const persistence::inbox_pos& p) override { cursors.push_back(p); }
  void acked(const persistence::inbox_pos& p) override { cursors.push_back(p); }
  void delivered(std::vector<std::string> ids) override {
    written.insert(written.end(), ids.begin(), ids.end());
  }
  void expire_after(std::chrono::milliseconds d, uint64_t g) override {
    expiries.emplace_back(d, g);
  }
  void token_timer_after(std::chrono::milliseconds d, uint64_t g) override {
    token_timers.emplace_back(d, g);
  }
  void check_token(std::string token) override { tokens_checked.push_back(std::move(token)); }
  int64_t wall_now_ms() const override { return wall_ms; }
  void quit() override { quit_called = true; }
};

session_limits test_limits() {
  session_limits l;
  l.resume_buffer = 4;
  l.resume_window = 10s;
  l.max_frames_per_sec = 3;
  l.rate_limit_close_after = 2s;
  l.max_channels = 2;
  l.stale_after = 60s;
  return l;
}

struct machine_fixture {
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  recorded_machine m;
  recorded_machine& fx = m; // what it asked of the world

  explicit machine_fixture(bool durable = false, session_limits limits = test_limits())
      : m(identity(limits), {"admin"}, durable) {
    m.start(sink);
  }
  static session_identity identity(const session_limits& limits) {
    session_identity id;
    id.id = 0x42;
    id.user = "ann";
    id.resume_token = "t0k";
    id.allowed = {"admin", "team-*", "orders.*"};
    id.limits = std::make_shared<const session_limits>(limits);
    return id;
  }
  std::vector<nlohmann::json> events() const { return sink->of_type("event"); }
};

event_frame stored(const std::string& channel, uint64_t at) {
  return make_event(channel, "e", "{}").stored_at({at, 0});
}

} // namespace

TEST_CASE("machine: start sends welcome with the channels and the resume token") {
  machine_fixture f;
  REQUIRE(f.sink->frames.size() == 1);
  auto w = f.sink->json(0);
  CHECK(w["type"] == "welcome");
  CHECK(w["resume_token"] == "t0k");
  CHECK(w["channels"] == nlohmann::json::array({"user:ann", "admin"}));
  CHECK(f.fx.inbox_loads == 0);
}

TEST_CASE("machine: each error code of client_protocol.hpp, and subscriptions") {
  machine_fixture f;
  auto code_after = [&](const std::string& text) {
    f.m.on_text(text);
    auto last = f.sink->last();
    return last["type"] == "error" ? last["code"].get<std::string>()
                                   : last["type"].get<std::string>();
  };
  CHECK(code_after("{") == "bad_json");
  f.fx.advance(1s);
  CHECK(code_after(R"({"type":"subscribe"})") == "bad_frame");
  CHECK(code_after(R"({"type":"dance"})") == "unknown_type");
  f.fx.advance(1s);
  CHECK(code_after(R"({"type":"subscribe","channel":"secret"})") == "forbidden_channel");
  CHECK(code_after(R"({"type":"subscribe","channel":"herald.x"})") == "forbidden_channel");
  CHECK(code_after(R"({"type":"unsubscribe","channel":"user:ann"})") == "forbidden_channel");
  f.fx.advance(1s);
  CHECK(code_after(R"({"type":"subscribe","channel":"team-a"})") == "subscribed");
  CHECK(code_after(R"({"type":"subscribe","channel":"team-b"})") == "too_many_channels");
  CHECK(f.fx.joins == std::vector<std::string>{"team-a"});
  f.fx.advance(1s);
  CHECK(code_after(R"({"type":"unsubscribe","channel":"team-a"})") == "unsubscribed");
  CHECK(f.fx.leaves == std::vector<std::string>{"team-a"});
  CHECK(f.m.channels() == std::vector<std::string>{"admin"});
}

TEST_CASE("machine: over the frame rate one error, then silence, then 1008") {
  machine_fixture f;
  for (int i = 0; i < 3; ++i)
    f.m.on_text(R"({"type":"ping"})");
  CHECK(f.sink->of_type("pong").size() == 3);
  f.m.on_text(R"({"type":"ping"})");
  CHECK(f.sink->last()["code"] == "rate_limited");
  auto frames = f.sink->frames.size();
  f.m.on_control_frames(5); // pings and pongs count too
  CHECK(f.sink->frames.size() == frames);
  for (int s = 1; s <= 3 && !f.fx.quit_called; ++s) {
    f.fx.advance(1s);
    f.m.on_control_frames(10);
  }
  CHECK(f.fx.quit_called);
  CHECK(f.sink->closed_code == close_code::policy_violation);
}

TEST_CASE(
    "machine: a durable session holds live events until the inbox replay, and sends each once") {
  machine_fixture f(true);
  CHECK(f.fx.inbox_loads == 1);
  CHECK(f.m.loading_inbox());
  auto old = stored("user:ann", 1);
  auto a = stored("user:ann", 2); // published live while the replay was read: held
  auto b = stored("user:ann", 3); // in the replay, its live copy still on its way
  auto c = stored("user:ann", 4);
  f.m.on_events({a});
  CHECK(f.events().empty());
  f.m.on_replay({old, a, b});
  CHECK_FALSE(f.m.loading_inbox());
  f.m.on_events({b});
  f.m.on_events({c});
  f.m.on_idle(); // the mailbox ran dry: what the batches held is written
  auto evs = f.events();
  REQUIRE(evs.size() == 4);
  CHECK(evs[0]["id"] == old.id());
  CHECK(evs[1]["id"] == a.id());
  CHECK(evs[2]["id"] == b.id());
  CHECK(evs[3]["id"] == c.id());
  CHECK(evs[3]["seq"] == 4);
  CHECK(f.fx.cursors.back() == persistence::inbox_pos{4, 0});
}

TEST_CASE("machine: with ack_required only an ack of a recent stored event moves the cursor") {
  auto limits = test_limits();
  limits.ack_required = true;
  machine_fixture f(false, limits);
  auto ev = stored("user:ann", 7);
  f.m.on_events({ev});
  CHECK(f.fx.cursors.empty());
  f.m.on_text(R"({"type":"ack","id":"e-unknown"})");
  CHECK(f.fx.cursors.empty());
  f.m.on_text(R"({"type":"ack","id":")" + ev.id() + R"("})");
  REQUIRE(f.fx.cursors.size() == 1);
  CHECK(f.fx.cursors[0] == persistence::inbox_pos{7, 0});
}

TEST_CASE("machine: a lone event goes out at once; with messages waiting it waits for idle") {
  machine_fixture f;
  f.m.on_events({make_event("admin", "e", "{}")});
  CHECK(f.events().size() == 1);
  f.fx.mailbox_waiting = true;
  f.m.on_events({make_event("admin", "e", "{}")});
  f.m.on_events({make_event("admin", "e", "{}")});
  CHECK(f.events().size() == 1);
  f.m.on_idle();
  CHECK(f.events().size() == 3);
  CHECK(f.sink->batch_writes == 1);
}

TEST_CASE("machine: detach, resume within the window, and expiry of a stale timer") {
  machine_fixture f;
  f.m.on_events({make_event("admin", "e", "{}")});
  f.m.on_detach(f.sink->id(), close_code::abnormal, true);
  CHECK_FALSE(f.m.attached());
  REQUIRE(f.fx.expiries.size() == 1);
  CHECK(f.fx.expiries[0].first == 10s);
  auto first_generation = f.fx.expiries[0].second;
  f.m.on_events({make_event("admin", "e", "{}"), make_event("admin", "e", "{}")});

  auto next = std::make_shared<recording_sink>();
  CHECK_FALSE(f.m.on_attach(next, 99)); // a seq it never sent
  CHECK(f.m.on_attach(next, 1));
  CHECK(next->json(0)["resumed"] == true);
  CHECK(next->json(1)["type"] == "session_restored");
  CHECK(next->json(1)["replayed"] == 2);
  CHECK(next->of_type("event").size() == 2);
  CHECK(f.fx.attached_reports == std::vector<bool>{false, true});
  f.m.on_expire(first_generation); // the timer of the first detach
  CHECK_FALSE(f.fx.quit_called);

  f.m.on_detach(next->id(), close_code::abnormal, true);
  f.m.on_expire(f.fx.expiries.back().second);
  CHECK(f.fx.quit_called);
}

TEST_CASE("machine: a detach of an older socket is ignored; a clean close quits") {
  machine_fixture f;
  f.m.on_detach(f.sink->id() + 1000, close_code::abnormal, true);
  CHECK(f.m.attached());
  f.m.on_detach(f.sink->id(), close_code::normal, false);
  CHECK(f.fx.quit_called);
  CHECK(f.fx.expiries.empty());
}

TEST_CASE("machine: a heartbeat pings a live client and evicts a silent one") {
  machine_fixture f;
  f.fx.advance(59s);
  f.m.on_heartbeat();
  CHECK(f.sink->pings == 1);
  f.m.on_text(R"({"type":"ping"})");
  f.fx.advance(59s);
  f.m.on_heartbeat();
  CHECK(f.sink->pings == 2);
  f.fx.advance(1s);
  f.m.on_heartbeat();
  CHECK(f.fx.evictions == 1);
  CHECK(f.sink->closed_code == close_code::stale);
  CHECK(f.fx.quit_called);
}

TEST_CASE("machine: kick and shutdown close with their codes") {
  machine_fixture a;
  a.m.on_kick(close_code::too_many_sessions);
  CHECK(a.sink->closed_code == close_code::too_many_sessions);
  CHECK(a.fx.quit_called);
  machine_fixture b;
  b.m.on_shutdown(0.5);
  CHECK(b.sink->closed_code == close_code::going_away);
  CHECK(nlohmann::json::parse(b.sink->closed_reason) ==
        nlohmann::json{{"reconnect", true}, {"delay_ms", 2500}}); // half of reconnect_spread 5s
  CHECK(b.fx.quit_called);
}

TEST_CASE("machine: info reports state, channels and frames waiting") {
  machine_fixture f;
  f.fx.mailbox_waiting = true;
  f.m.on_events({make_event("admin", "e", "{}"), make_event("admin", "e", "{}")});
  auto info = f.m.info(5);
  CHECK(info.state == "attached");
  CHECK(info.user == "ann");
  CHECK(info.mailbox == 5);
  CHECK(info.outbound == 2);
  CHECK(info.channels == std::vector<std::string>{"user:ann", "admin"});
}

namespace {

// Limits where "orders.*" keeps history.
session_limits history_limits() {
  auto l = test_limits();
  auto rules = std::make_shared<channel_rules>();
  channel_options o;
  o.history.size = 100;
  rules->add("orders.*", o);
  l.channels = rules;
  l.max_channels = 10;
  return l;
}

event_frame at_offset(const std::string& channel, uint64_t offset,
                      const std::string& epoch = "ep") {
  return in_history(make_event(channel, "e", "{\"o\":" + std::to_string(offset) + "}"), channel,
                    {offset, epoch});
}

channel_recovery recovery(const std::string& channel, history_since since, bool recovered,
                          persistence::history_position now, std::vector<event_frame> events) {
  channel_recovery r;
  r.channel = channel;
  r.since = std::move(since);
  r.recovered = recovered;
  r.now = std::move(now);
  r.events = std::move(events);
  return r;
}

std::vector<uint64_t> offsets_sent(const recording_sink& sink) {
  std::vector<uint64_t> out;
  for (auto& e : sink.of_type("event"))
    out.push_back(e["offset"].get<uint64_t>());
  return out;
}

} // namespace

TEST_CASE("machine: a history channel answers subscribed with its recovery, then replay, then "
          "what waited, none twice") {
  machine_fixture f(false, history_limits());
  f.m.on_text(R"({"type":"subscribe","channel":"orders.1","since":{"offset":40,"epoch":"ep"}})");
  REQUIRE(f.fx.joins == std::vector<std::string>{"orders.1"});
  CHECK(f.fx.join_since[0].given);
  CHECK(f.fx.join_since[0].at.offset == 40);
  CHECK(f.sink->of_type("subscribed").empty()); // not before its recovery
  // Live events while the recovery is on its way: 42 (also in the replay) and 44.
  f.m.on_events({at_offset("orders.1", 42), at_offset("orders.1", 44)});
  CHECK(f.events().empty());
  f.m.on_history(
      recovery("orders.1", {true, {40, "ep"}}, true, {43, "ep"},
               {at_offset("orders.1", 41), at_offset("orders.1", 42), at_offset("orders.1", 43)}));
  f.m.on_idle();
  auto sub = f.sink->of_type("subscribed").at(0);
  CHECK(sub == nlohmann::json{{"type", "subscribed"},
                              {"channel", "orders.1"},
                              {"recovered", true},
                              {"offset", 43},
                              {"epoch", "ep"}});
  CHECK(offsets_sent(*f.sink) == std::vector<uint64_t>{41, 42, 43, 44});
  // A late live copy of a replayed event is dropped; seq has no gap.
  f.m.on_events({at_offset("orders.1", 43), at_offset("orders.1", 45)});
  f.m.on_idle();
  CHECK(offsets_sent(*f.sink) == std::vector<uint64_t>{41, 42, 43, 44, 45});
  auto seqs = f.events();
  CHECK(seqs.back()["seq"] == 5);
}

TEST_CASE("machine: live events waiting for a recovery are bounded by resume_buffer") {
  machine_fixture f(false, history_limits()); // resume_buffer 4
  f.m.on_text(R"({"type":"subscribe","channel":"orders.9","since":{"offset":10,"epoch":"ep"}})");
  std::vector<event_frame> burst;
  for (uint64_t o = 11; o <= 20; ++o)
    burst.push_back(at_offset("orders.9", o));
  f.m.on_events(burst);
  f.m.on_history(recovery("orders.9", {true, {10, "ep"}}, true, {10, "ep"}, {}));
  f.m.on_idle();
  // The store's read came before the burst; four of it were kept: not recovered.
  CHECK(f.sink->of_type("subscribed").at(0)["recovered"] == false);
  CHECK(offsets_sent(*f.sink) == std::vector<uint64_t>{11, 12, 13, 14});
}

TEST_CASE("machine: without since a history channel starts at its newest offset") {
  machine_fixture f(false, history_limits());
  f.m.on_text(R"({"type":"subscribe","channel":"orders.2"})");
  f.m.on_events({at_offset("orders.2", 7), at_offset("orders.2", 8)});
  f.m.on_history(recovery("orders.2", {}, false, {7, "ep"}, {}));
  f.m.on_idle();
  auto sub = f.sink->of_type("subscribed").at(0);
  CHECK_FALSE(sub.contains("recovered"));
  CHECK(sub["offset"] == 7);
  CHECK(offsets_sent(*f.sink) == std::vector<uint64_t>{8});
}

TEST_CASE("machine: another epoch replays nothing and takes the new epoch's events") {
  machine_fixture f(false, history_limits());
  f.m.on_text(R"({"type":"subscribe","channel":"orders.3","since":{"offset":90,"epoch":"old"}})");
  f.m.on_events({at_offset("orders.3", 2, "new")});
  f.m.on_history(recovery("orders.3", {true, {90, "old"}}, false, {1, "new"}, {}));
  f.m.on_events({at_offset("orders.3", 3, "new")});
  f.m.on_idle();
  CHECK(f.sink->of_type("subscribed").at(0)["recovered"] == false);
  CHECK(offsets_sent(*f.sink) == std::vector<uint64_t>{2, 3});
}

TEST_CASE("machine: since at upgrade; a channel without history answers recovered:false") {
  machine_fixture probe(false, history_limits());
  auto sink = std::make_shared<recording_sink>();
  recorded_machine m(machine_fixture::identity(history_limits()), {"orders.4", "admin"}, false,
                     {{"orders.4", {5, "ep"}}, {"admin", {1, "x"}}});
  m.start(sink);
  auto subs = sink->of_type("subscribed");
  REQUIRE(subs.size() == 1);
  CHECK(subs[0] ==
        nlohmann::json{{"type", "subscribed"}, {"channel", "admin"}, {"recovered", false}});
  m.on_events({at_offset("orders.4", 6)});
  CHECK(sink->of_type("event").empty()); // waits for its recovery
  m.on_history(
      recovery("orders.4", {true, {5, "ep"}}, true, {6, "ep"}, {at_offset("orders.4", 6)}));
  m.on_idle();
  CHECK(sink->of_type("subscribed").size() == 2);
  CHECK(offsets_sent(*sink) == std::vector<uint64_t>{6});
}

TEST_CASE("machine: leaving a channel while its recovery is on the way drops the recovery") {
  machine_fixture f(false, history_limits());
  f.m.on_text(R"({"type":"subscribe","channel":"orders.5"})");
  f.m.on_text(R"({"type":"unsubscribe","channel":"orders.5"})");
  f.m.on_history(recovery("orders.5", {}, false, {3, "ep"}, {}));
  CHECK(f.sink->of_type("subscribed").empty());
  CHECK(f.fx.leaves == std::vector<std::string>{"orders.5"});
}

TEST_CASE("machine: the client's last event id goes with the first inbox load only") {
  auto sink = std::make_shared<recording_sink>();
  recorded_machine m(machine_fixture::identity(test_limits()), {}, true, {}, "e-7");
  m.start(sink);
  CHECK(m.inbox_loads == 1);
  CHECK(m.inbox_after == "e-7");
}

TEST_CASE("machine: join and leave frames go out whole, without a seq") {
  machine_fixture f;
  f.m.on_events({make_control_frame(R"({"type":"join","channel":"admin","user":"bo"})"),
                 make_event("admin", "e", "{}")});
  f.m.on_idle();
  CHECK(f.sink->of_type("join").at(0) ==
        nlohmann::json{{"type", "join"}, {"channel", "admin"}, {"user", "bo"}});
  CHECK(f.events().at(0)["seq"] == 1);
}

namespace {

// A session whose token expires 100 s after the fixture's wall clock.
struct token_fixture {
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  recorded_machine m;
  static session_identity identity() {
    auto limits = test_limits();
    limits.refresh_ahead = 30s;
    limits.token_leeway = 5s;
    limits.max_channels = 5;
    auto id = machine_fixture::identity(limits);
    id.token_exp_s = 1'000'000'000 + 100;
    return id;
  }
  token_fixture() : m(identity(), {"admin", "team-a"}, false) { m.start(sink); }
  // Runs the token timer last set, as if its delay had passed.
  void fire_timer() {
    REQUIRE_FALSE(m.token_timers.empty());
    auto [delay, generation] = m.token_timers.back();
    m.wall_ms += delay.count();
    m.on_token_timer(generation);
  }
};

} // namespace

TEST_CASE("machine: token_expiring refresh_ahead before exp, 4001 at exp + leeway") {
  token_fixture f;
  REQUIRE(f.m.token_timers.size() == 1);
  CHECK(f.m.token_timers[0].first == 70s); // exp in 100 s, refresh_ahead 30 s
  f.fire_timer();
  auto warning = f.sink->last();
  CHECK(warning["type"] == "token_expiring");
  CHECK(warning["in_ms"] == 30000);
  CHECK(f.m.token_timers.back().first == 35s); // to exp + leeway
  f.fire_timer();
  CHECK(f.sink->closed_code == 4001);
  CHECK(f.sink->closed_reason == "token expired");
  CHECK(f.m.quit_called);
}

TEST_CASE("machine: a refresh with the same sub moves exp and drops channels no longer allowed") {
  token_fixture f;
  f.m.on_command({session_command::kind::subscribe, "ops", 0}); // by the server: kept
  f.m.on_text(R"({"type":"refresh","token":"t2"})");
  REQUIRE(f.m.tokens_checked == std::vector<std::string>{"t2"});
  auto stale_timer = f.m.token_timers.back().second;
  token_claims claims{"ann", {"admin"}, 1'000'000'000 + 4000};
  f.m.on_token_checked({claims, "", false});
  auto frames = f.sink->frames.size();
  CHECK(f.sink->json(frames - 2) == nlohmann::json{{"type", "refreshed"}, {"exp", 1'000'004'000}});
  CHECK(f.sink->json(frames - 1) ==
        nlohmann::json{{"type", "unsubscribed"}, {"channel", "team-a"}});
  CHECK(f.m.channels() == std::vector<std::string>{"admin", "ops"});
  CHECK(f.m.token_timers.back().first == 3970s);
  // The timer of the old token does nothing.
  f.m.on_token_timer(stale_timer);
  CHECK(f.sink->closed_code == 0);

  // Another user's token, a bad one: an error frame, the session goes on.
  f.m.on_text(R"({"type":"refresh","token":"t3"})");
  f.m.on_token_checked({token_claims{"bob", {}, 0}, "", false});
  CHECK(f.sink->last()["code"] == "bad_token");
  f.m.on_text(R"({"type":"refresh","token":"t4"})");
  f.m.on_token_checked({std::nullopt, "bad token signature", false});
  CHECK(f.sink->last()["message"] == "bad token signature");
  CHECK(f.sink->closed_code == 0);
}

TEST_CASE("machine: control commands subscribe, unsubscribe, inbox_read and disconnect") {
  machine_fixture f;
  f.m.on_command({session_command::kind::subscribe, "secret-room", 0});
  CHECK(f.sink->last() == nlohmann::json{{"type", "subscribed"}, {"channel", "secret-room"}});
  CHECK(f.fx.joins == std::vector<std::string>{"secret-room"});
  f.m.on_command({session_command::kind::subscribe, "user:bob", 0}); // reserved: ignored
  CHECK(f.fx.joins.size() == 1);
  f.m.on_command({session_command::kind::unsubscribe, "secret-room", 0});
  CHECK(f.sink->last() == nlohmann::json{{"type", "unsubscribed"}, {"channel", "secret-room"}});
  f.m.on_command({session_command::kind::unsubscribe, "never-joined", 0}); // nothing sent
  CHECK(f.sink->last()["channel"] == "secret-room");
  f.m.on_command({session_command::kind::inbox_read, "e-7", 0});
  CHECK(f.sink->last() == nlohmann::json{{"type", "inbox_read"}, {"up_to", "e-7"}});
  f.m.on_command({session_command::kind::disconnect, "banned", 4009});
  CHECK(f.sink->closed_code == 4009);
  CHECK(f.sink->closed_reason == "banned");
  CHECK(f.m.quit_called);
}
