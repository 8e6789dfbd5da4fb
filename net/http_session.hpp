#pragma once
// One accepted TCP connection speaking HTTP/1.1: API requests (keep-alive)
// until it either closes or upgrades to a WebSocket at GET /ws.
#include "net/context.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace herald::net {

// Starts serving `socket` (whose executor must be a strand); `slot` is its
// place in the per-IP count, kept for as long as the socket is open.
void serve_http(boost::asio::ip::tcp::socket socket, server_context& ctx,
                connection_gate::ip_slot slot);

} // namespace herald::net
