#pragma once
// Spawning a session actor. Only the registry (its supervisor) and tests do this.
#include "actors/inbox_protocol.hpp"
#include "actors/registry_protocol.hpp"
#include "actors/session_protocol.hpp"

#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include <array>
#include <vector>

namespace herald {

struct session_init {
  session_id id = 0;
  std::string user;
  std::string resume_token;  // told in welcome; an anonymous resume must show it
  std::vector<std::string> allowed;   // the token's channel patterns
  std::vector<std::string> channels;  // joined at start (the user channel is implicit)
  sink_ptr sink;
  // One object shared by every session of the registry.
  std::shared_ptr<const session_limits> limits = std::make_shared<const session_limits>();
  registry_actor registry;            // may be invalid in tests
  // Set for a fresh session of a named user when the durable inbox is on:
  // after welcome it replays the inbox, and reports what reached the socket.
  inbox_actor inbox;
};

// A session_port that forwards a connection's traffic to a session actor
// while it lives (it does not keep the actor alive).
std::shared_ptr<session_port> make_session_port(const session_actor& actor);

// Delivers messages to many sessions: each mailbox gets an element that
// points at the one message; the sessions that were idle are scheduled by
// launch(), a hundred or so per scheduler job, so they run after the whole
// fan-out and what arrives before they run (the next drains) joins the
// messages waiting. Until launch() they do not run at all: the owner must
// call it (the destructor does, for what is left).
class session_fanout {
public:
  session_fanout() = default;
  session_fanout(const session_fanout&) = delete;
  session_fanout& operator=(const session_fanout&) = delete;
  ~session_fanout();
  void add(const session_actor& session, const caf::message& msg);
  void launch(caf::execution_unit* host, caf::actor_system& sys);
  bool empty() const { return woken_.empty() && added_ == pushed_; }
  // Mailbox elements are reused (actors/fanout_element.hpp): frees up to
  // `at_most` waiting ones while more than `keep` exist; true when more could
  // be freed. Call on the thread that runs fan-outs.
  static bool trim_spare_elements(size_t keep, size_t at_most);

private:
  // Mailboxes are filled a few sessions behind add(): each session's mailbox
  // starts loading into the cache when it is added and is written when its
  // turn comes, so the loads of several cold mailboxes overlap.
  static constexpr size_t lookahead = 8;
  struct waiting {
    class compact_actor* core = nullptr;
    caf::message msg;
  };
  void push_next();
  std::array<waiting, lookahead> waiting_;
  size_t added_ = 0;
  size_t pushed_ = 0;
  std::vector<class compact_actor*> woken_;
};

session_actor spawn_session(caf::actor_system& sys, session_init init);
session_actor spawn_session(caf::local_actor* parent, session_init init);

} // namespace herald
