#include "actors/session.hpp"

#include "actors/exception_text.hpp"
#include "actors/session_machine.hpp"
#include "config/log.hpp"
#include "runtime/compact_actor.hpp"
#include "runtime/typed_dispatch.hpp"

#include <caf/actor_cast.hpp>
#include <caf/local_actor.hpp>
#include <caf/make_actor.hpp>
#include <caf/send.hpp>

#include <cstddef>

namespace herald {

namespace {

// Holds the session weakly: the session holds its connection, and the
// registry (its supervisor) is what keeps a session alive.
class actor_session_port final : public session_port {
public:
  explicit actor_session_port(const session_actor& actor) : actor_(actor.address()) {}
  void on_text(std::string text) override { tell(inbound_atom::value, std::move(text)); }
  void on_touch(uint32_t frames) override { tell(touch_atom::value, frames); }
  void on_closed(uint64_t sink_id, uint16_t code, bool resumable) override {
    tell(detach_atom::value, sink_id, code, resumable);
  }

private:
  template <class... Ts> void tell(Ts&&... xs) {
    if (auto actor = caf::actor_cast<session_actor>(actor_))
      caf::anon_send(actor, std::forward<Ts>(xs)...);
  }
  caf::actor_addr actor_;
};

session_identity identity_of(session_init& init) {
  return {init.id,
          std::move(init.user),
          std::move(init.resume_token),
          std::move(init.allowed),
          init.token_exp_s,
          std::move(init.limits)};
}

class session_core;

// The machine inside the actor: its effects become messages.
class machine_in_actor final : public session_machine {
public:
  machine_in_actor(session_core& self, session_init& init)
      : session_machine(identity_of(init), std::move(init.channels), static_cast<bool>(init.inbox),
                        std::move(init.since), std::move(init.last_event_id)),
        self_(self) {}

private:
  int64_t now_ns() const override;
  bool more_waiting() const override;
  std::shared_ptr<session_port> port() override;
  void joined(const std::string& channel, const history_since& since) override;
  void left(const std::string& channel) override;
  void attached_changed(bool attached) override;
  void evicted() override;
  void load_inbox(const std::string& after_event) override;
  void move_cursor(const persistence::inbox_pos& reached) override;
  void acked(const persistence::inbox_pos& pos) override;
  void delivered(std::vector<std::string> event_ids) override;
  void expire_after(std::chrono::milliseconds delay, uint64_t generation) override;
  void token_timer_after(std::chrono::milliseconds delay, uint64_t generation) override;
  void check_token(std::string token) override;
  int64_t wall_now_ms() const override;
  void quit() override;

  session_core& self_;
};

// The session actor: a thin shell around a session_machine. It turns
// messages of session_actor (session_protocol.hpp) into the machine's calls
// and the machine's effects into messages.
class session_core final : public compact_actor {
public:
  // Runs before the actor is scheduled: nothing else sees its state yet.
  session_core(caf::actor_config& cfg, session_init init)
      : compact_actor(cfg), machine(*this, init), registry_(std::move(init.registry)),
        inbox_(std::move(init.inbox)), first_sink_(std::move(init.sink)) {}
  const char* name() const override { return "session"; }

  // First after the actor's own fields: a batch job loads the actor object
  // and the machine's hot part in one go (runtime/README.md, "Layout").
  machine_in_actor machine;

  session_actor handle() { return caf::actor_cast<session_actor>(caf::strong_actor_ptr{ctrl()}); }
  static constexpr size_t hot_object_bytes = sizeof(compact_actor) + session_machine::hot_bytes();

private:
  friend class machine_in_actor;

  // One call per message of session_actor; the build fails if one is missing.
  struct handlers {
    session_core& self;
    session_machine& m = self.machine;
    void operator()(event_atom, event_list& events, drain_share&) { m.on_events(*events); }
    void operator()(inbound_atom, std::string& text) { m.on_text(text); }
    void operator()(touch_atom, uint32_t frames) { m.on_control_frames(frames); }
    void operator()(detach_atom, uint64_t sink_id, uint16_t code, bool resumable) {
      m.on_detach(sink_id, code, resumable);
    }
    void operator()(heartbeat_atom) { m.on_heartbeat(); }
    bool operator()(attach_atom, sink_ptr& sink, uint64_t last_seq, int64_t token_exp_s) {
      return m.on_attach(sink, last_seq, token_exp_s);
    }
    void operator()(shutdown_atom) { m.on_shutdown(double(random_u64() >> 11) * 0x1.0p-53); }
    void operator()(kick_atom, uint16_t code) { m.on_kick(code); }
    void operator()(command_atom, session_command& c) { m.on_command(c); }
    void operator()(replay_atom, std::vector<event_frame>& replay) {
      m.on_replay(std::move(replay));
    }
    void operator()(history_atom, channel_recovery& r) { m.on_history(std::move(r)); }
    void operator()(checked_atom, token_result& r) { m.on_token_checked(r); }
    actor_info operator()(info_atom) { return m.info(self.mailbox_size()); }
    int64_t operator()(seen_atom) { return m.last_inbound_wall_ns(); }
    void operator()(expire_atom, uint64_t generation) { m.on_expire(generation); }
    void operator()(token_atom, uint64_t generation) { m.on_token_timer(generation); }
  };

  session_id id() const { return machine.identity().id; }
  const std::string& user() const { return machine.identity().user; }
  template <class... Ts> void to_registry(Ts&&... xs) {
    if (registry_) // none in some tests
      tell(registry_, std::forward<Ts>(xs)...);
  }

  void on_start() override { machine.start(std::exchange(first_sink_, nullptr)); }
  void handle(caf::mailbox_element& x) override {
    ++machine.meter().processed;
    auto answer = [&](auto&& result) { reply(x, std::forward<decltype(result)>(result)); };
    if (!dispatch<session_actor>(x.content(), handlers{*this}, answer))
      unexpected(x);
  }
  void on_idle() override { machine.on_idle(); }
  void on_yield() override { machine.on_yield(); }
  void prefetch() const override { machine.prefetch(); }
  void on_exception(std::exception_ptr eptr) override {
    log::error("session " + format_session_id(id()),
               "handler failed, closing the session: " + exception_text(eptr));
    machine.on_failure();
  }

  registry_actor registry_;
  inbox_actor inbox_;
  sink_ptr first_sink_; // the socket it starts on (none in tests of a detached start)
};

int64_t machine_in_actor::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(self_.now().time_since_epoch())
      .count();
}
bool machine_in_actor::more_waiting() const {
  return !self_.mailbox_empty();
}
std::shared_ptr<session_port> machine_in_actor::port() {
  return make_session_port(self_.handle());
}
void machine_in_actor::joined(const std::string& channel, const history_since& since) {
  self_.to_registry(join_atom::value, self_.id(), channel, since);
}
void machine_in_actor::left(const std::string& channel) {
  self_.to_registry(leave_atom::value, self_.id(), channel);
}
void machine_in_actor::attached_changed(bool attached) {
  self_.to_registry(status_atom::value, self_.id(), attached);
}
void machine_in_actor::evicted() {
  self_.to_registry(evicted_atom::value, self_.id());
}
void machine_in_actor::load_inbox(const std::string& after_event) {
  self_.tell(self_.inbox_, load_atom::value, self_.user(), after_event, self_.handle());
}
void machine_in_actor::move_cursor(const persistence::inbox_pos& reached) {
  if (self_.inbox_)
    self_.tell(self_.inbox_, cursor_atom::value, self_.user(), reached);
}
void machine_in_actor::acked(const persistence::inbox_pos& pos) {
  if (self_.inbox_)
    self_.tell(self_.inbox_, ack_atom::value, self_.user(), pos);
}
void machine_in_actor::delivered(std::vector<std::string> event_ids) {
  if (self_.inbox_)
    self_.tell(self_.inbox_, receipt_atom::value, format_session_id(self_.id()),
               std::move(event_ids));
}
void machine_in_actor::expire_after(std::chrono::milliseconds delay, uint64_t generation) {
  self_.tell_self_after(delay, expire_atom::value, generation);
}
void machine_in_actor::token_timer_after(std::chrono::milliseconds delay, uint64_t generation) {
  self_.tell_self_after(delay, token_atom::value, generation);
}
void machine_in_actor::check_token(std::string token) {
  auto& port = identity().limits->tokens;
  if (!port)
    return on_token_checked({std::nullopt, "this server checks no refresh tokens", false});
  // The answer may come from another thread (a JWKS refetch): as a message.
  port->verify(std::move(token), [addr = self_.handle().address()](token_result r) {
    if (auto actor = caf::actor_cast<session_actor>(addr))
      caf::anon_send(actor, checked_atom::value, std::move(r));
  });
}
int64_t machine_in_actor::wall_now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
void machine_in_actor::quit() {
  self_.quit();
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(session_core, machine) == sizeof(compact_actor),
              "the machine's hot part must follow the actor's fields (runtime/README.md)");
#pragma GCC diagnostic pop

session_actor spawn(caf::actor_system& sys, session_init init) {
  caf::actor_config cfg;
  auto ptr = caf::make_actor<session_core, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(),
                                                                  &sys, cfg, std::move(init));
  static_cast<session_core*>(caf::actor_cast<caf::abstract_actor*>(ptr))->launch();
  return caf::actor_cast<session_actor>(std::move(ptr));
}

} // namespace

// Sessions a scheduler job runs one after another.
constexpr size_t sessions_per_job = 128;

session_fanout::session_fanout() : fanout(session_core::hot_object_bytes, sessions_per_job) {}

void session_fanout::add(const session_actor& session, const caf::message& msg) {
  // Every session_actor is a session_core: spawn_session makes nothing else.
  fanout::add(static_cast<compact_actor*>(caf::actor_cast<caf::abstract_actor*>(session)), msg);
}

std::shared_ptr<session_port> make_session_port(const session_actor& actor) {
  return std::make_shared<actor_session_port>(actor);
}

session_actor spawn_session(caf::actor_system& sys, session_init init) {
  return spawn(sys, std::move(init));
}

session_actor spawn_session(caf::local_actor* parent, session_init init) {
  return spawn(parent->system(), std::move(init));
}

} // namespace herald
