#pragma once
// One accepted TCP connection speaking HTTP/1.1: API requests (keep-alive)
// until it either closes or upgrades to a WebSocket at GET /ws.
#include "net/context.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace herald::net {

// Starts serving `socket` (whose executor must be a strand).
void serve_http(boost::asio::ip::tcp::socket socket, server_context& ctx);

} // namespace herald::net
