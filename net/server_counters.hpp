#pragma once
// Counters owned by net/ and read by the HTTP API. Written from every I/O
// thread and never guarding other state: plain atomics, and per-thread
// counters for the ones bumped on every write or read.
#include "runtime/per_thread_parts.hpp"

#include <atomic>
#include <cstdint>

namespace herald::net {

struct server_counters {
  std::atomic<uint64_t> active_connections{0};   // WebSocket sockets open now
  std::atomic<uint64_t> total_connections{0};    // WebSocket upgrades since start
  thread_counter total_messages;                 // frames written to clients since start
  thread_counter socket_writes;                  // gathered writes that carried them
  thread_counter messages_in;                    // frames read from clients since start
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
