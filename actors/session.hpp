#pragma once
// Spawning a session actor. Only the registry (its supervisor) and tests do this.
#include "actors/inbox_protocol.hpp"
#include "actors/registry_protocol.hpp"
#include "actors/session_protocol.hpp"

#include "runtime/fanout.hpp"

#include <caf/fwd.hpp>
#include <caf/message.hpp>

namespace herald {

struct session_init {
  session_id id = 0;
  std::string user;
  std::string resume_token;          // told in welcome; an anonymous resume must show it
  std::vector<std::string> allowed;  // the token's channel patterns
  int64_t token_exp_s = 0;           // the token's exp (0: none)
  std::vector<std::string> channels; // joined at start (the user channel is implicit)
  std::map<std::string, persistence::history_position> since; // the upgrade's since.<channel>
  std::string last_event_id; // the upgrade's last_event_id: replay the inbox after it
  sink_ptr sink;
  // One object shared by every session of the registry.
  std::shared_ptr<const session_limits> limits = std::make_shared<const session_limits>();
  registry_actor registry; // may be invalid in tests
  // Set for a fresh session of a named user when the durable inbox is on:
  // after welcome it replays the inbox, and reports what reached the socket.
  inbox_actor inbox;
};

// A session_port that forwards a connection's traffic to a session actor
// while it lives (it does not keep the actor alive).
std::shared_ptr<session_port> make_session_port(const session_actor& actor);

// A fan-out to sessions (runtime/fanout.hpp), sized for a session's object.
class session_fanout : public fanout {
public:
  session_fanout();
  void add(const session_actor& session, const caf::message& msg);
};

session_actor spawn_session(caf::actor_system& sys, session_init init);
session_actor spawn_session(caf::local_actor* parent, session_init init);

} // namespace herald
