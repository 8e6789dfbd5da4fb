#pragma once
// Counters owned by net/ and read by the HTTP API. Plain atomics: they are
// written from every I/O thread and never guard other state.
#include <atomic>
#include <cstdint>

namespace herald::net {

struct server_counters {
  std::atomic<uint64_t> active_connections{0};   // WebSocket sockets open now
  std::atomic<uint64_t> total_connections{0};    // WebSocket upgrades since start
  std::atomic<uint64_t> total_messages{0};       // frames written to clients since start
  std::atomic<uint64_t> socket_writes{0};        // gathered writes that carried them
  std::atomic<uint64_t> messages_in{0};          // frames read from clients since start
  std::atomic<uint64_t> slow_consumer_closes{0}; // closed 1013: outbound queue overflow
  std::atomic<uint64_t> rejected_full{0};        // upgrades refused at max_connections
};

// Limits every WebSocket connection is created with (from config).
struct connection_limits {
  uint64_t max_message_bytes = 65536;
  uint64_t outbound_queue_max = 1024;
  int64_t close_timeout_ms = 2000;
};

} // namespace herald::net
