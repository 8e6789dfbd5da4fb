#pragma once
// The network side of Herald: an io_context, its threads, the listener and
// the HTTP API. Construction binds the port; start() runs the threads.
#include "actors/queue_client.hpp"
#include "actors/registry_client.hpp"
#include "config/config.hpp"
#include "net/server_counters.hpp"
#include "runtime/io_lender.hpp"

#include "actors/token_port.hpp"

#include <memory>

namespace herald::net {

class monitor_series;

class server {
public:
  // Throws std::runtime_error with a readable message when the address cannot be bound.
  // `queue` may be null (no outbound notifications). `tokens` checks client
  // tokens and must outlive the server.
  server(const config::herald_config& cfg, registry_client& registry, token_port& tokens,
         queue_client* queue = nullptr);
  ~server();

  // Runs the I/O threads; with `actors` given, CAF's actors run on them too
  // until stop().
  void start(io_lender* actors = nullptr);
  uint16_t port() const;
  const server_counters& counters() const;
  // The console's last five minutes, filled by the monitor feed.
  monitor_series& series();
  // Closes the listening socket; open connections keep going.
  void stop_accepting();
  // Hands the actors back to their coordinator, then stops the I/O threads
  // and joins them. Connections are dropped when the server is destroyed.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace herald::net
