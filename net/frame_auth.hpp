#pragma once
// First-frame auth (docs/protocol.md, "auth=frame"): an upgrade without a
// token that promises one as its first frame. The connection reads, but no
// session exists until {"type":"auth","token":"…"} arrives within
// auth.first_frame_timeout and checks out; then the registry makes the
// session, which sends welcome. Anything else closes 4001, with no welcome.
#include "net/context.hpp"
#include "net/upgrade.hpp"

#include <memory>

namespace herald::net {

class ws_connection;

void await_auth_frame(std::shared_ptr<ws_connection> conn, upgrade_decision decision,
                      server_context& ctx);

// What the first frame must be: the token of {"type":"auth","token":"…"}, or
// empty (with `error` set) when it is not that frame.
std::string auth_frame_token(const std::string& text, std::string& error);

} // namespace herald::net
