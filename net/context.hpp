#pragma once
// What every HTTP session needs from the server that accepted it.
#include "actors/registry_client.hpp"
#include "net/api.hpp"
#include "net/connection_gate.hpp"
#include "net/server_counters.hpp"
#include "net/upgrade.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace herald::net {

struct server_context {
  registry_client& registry;
  api& routes;
  server_counters& counters;
  connection_limits limits;
  upgrade_settings upgrade;
  uint64_t max_connections = 200000;
  uint64_t max_body_bytes = 1 << 20;
  uint64_t max_header_bytes = 16384;
  std::chrono::milliseconds http_idle_timeout{60000};
  std::chrono::milliseconds request_timeout{10000}; // line + headers of a request
  std::vector<std::string> allowed_origins;         // server.allowed_origins
  std::shared_ptr<connection_gate> gate;            // pending and per-IP limits
  size_t io_threads = 1;        // threads running the io_context (1: no strands needed)
  token_port* tokens = nullptr; // checks client tokens (net/token_verifier.hpp)
  std::chrono::milliseconds first_frame_timeout{5000}; // auth.first_frame_timeout
};

// The registry's request for an accepted upgrade (or first-frame auth).
connect_request connect_request_of(upgrade_decision&& d, std::shared_ptr<frame_sink> sink);

} // namespace herald::net
