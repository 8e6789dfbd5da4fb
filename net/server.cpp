#include "net/server.hpp"

#include "config/contain.hpp"
#include "config/cores.hpp"
#include "config/log.hpp"
#include "config/text.hpp"
#include "net/api.hpp"
#include "net/context.hpp"
#include "net/listener.hpp"
#include "net/monitor_series.hpp"
#include "runtime/io_lender.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <openssl/rand.h>

#include <thread>

namespace herald::net {

namespace asio = boost::asio;

namespace {
std::string random_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("no randomness for the console secret");
  return hex_text(bytes, sizeof bytes);
}
} // namespace

struct server::impl {
  const config::herald_config& cfg;
  server_counters counters;
  monitor_series series;
  asio::io_context ioc;
  api routes;
  server_context ctx;
  std::shared_ptr<listener> acceptor;
  std::vector<std::thread> threads;
  size_t thread_count;
  io_lender* actors = nullptr; // runs CAF's actors on our threads while set

  impl(const config::herald_config& c, registry_client& registry, queue_client* queue)
      : cfg(c), ioc(static_cast<int>(thread_count_for(c))), routes(c, registry, counters, queue),
        ctx{registry, routes, counters, {}, {}, 0, 0, 0, {}, {}, {}, {}, 1},
        thread_count(thread_count_for(c)) {
    ctx.limits.max_message_bytes = static_cast<uint64_t>(c.server.max_message_bytes);
    ctx.limits.outbound_queue_max = static_cast<uint64_t>(c.session.outbound_queue_max);
    ctx.limits.close_timeout_ms = c.server.close_timeout.count();
    ctx.upgrade.jwt_secret = c.auth.jwt_secret;
    ctx.upgrade.console_secret =
        random_secret(); // new each start: console tokens die with the process
    routes.set_console_secret(ctx.upgrade.console_secret);
    ctx.upgrade.auth_required = c.auth.required;
    ctx.upgrade.max_channels = static_cast<uint64_t>(c.session.max_channels);
    ctx.max_connections = static_cast<uint64_t>(c.server.max_connections);
    ctx.max_body_bytes = static_cast<uint64_t>(c.server.max_body_bytes);
    ctx.max_header_bytes = static_cast<uint64_t>(c.server.max_header_bytes);
    ctx.http_idle_timeout = c.server.http_idle_timeout;
    ctx.request_timeout = c.server.request_timeout;
    ctx.allowed_origins = c.server.allowed_origins;
    ctx.upgrade.leeway_s = std::chrono::duration_cast<std::chrono::seconds>(c.auth.leeway).count();
    ctx.first_frame_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.auth.first_frame_timeout);
    ctx.gate =
        std::make_shared<connection_gate>(static_cast<uint64_t>(c.server.max_pending),
                                          static_cast<uint64_t>(c.server.max_connections_per_ip));
    routes.set_gate(ctx.gate);
    routes.set_series(&series);
    ctx.io_threads = thread_count_for(c);
  }

  static size_t thread_count_for(const config::herald_config& c) {
    if (c.server.threads > 0)
      return static_cast<size_t>(c.server.threads);
    return usable_cores();
  }
};

server::server(const config::herald_config& cfg, registry_client& registry, token_port& tokens,
               queue_client* queue)
    : impl_(new impl(cfg, registry, queue)) {
  impl_->ctx.tokens = &tokens;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(cfg.listen_host(), ec);
  if (ec)
    throw std::runtime_error("server.listen: \"" + cfg.listen_host() + "\" is not an IP address");
  try {
    impl_->acceptor = std::make_shared<listener>(
        impl_->ioc, asio::ip::tcp::endpoint(address, cfg.listen_port()), impl_->ctx);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("server.listen: cannot listen on " + cfg.server.listen + ": " +
                             e.code().message());
  }
}

server::~server() {
  stop();
}

void server::start(io_lender* actors) {
  impl_->acceptor->run();
  for (size_t i = 0; i < impl_->thread_count; ++i)
    impl_->threads.emplace_back([this] {
      // A handler that throws ends its own request or connection (Asio has
      // already unwound it); the thread goes back to running the others.
      run_contained("net", [this] { impl_->ioc.run(); });
    });
  impl_->actors = actors;
  if (actors)
    actors->lend(impl_->ioc, impl_->thread_count);
  log::info("net", "listening on " + impl_->cfg.listen_host() + ":" + std::to_string(port()) +
                       " with " + std::to_string(impl_->thread_count) + " I/O threads");
}

uint16_t server::port() const {
  return impl_->acceptor->port();
}

const server_counters& server::counters() const {
  return impl_->counters;
}

monitor_series& server::series() {
  return impl_->series;
}

void server::stop_accepting() {
  impl_->acceptor->stop();
}

void server::stop() {
  if (impl_->actors) {
    impl_->actors->take_back();
    impl_->actors = nullptr;
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable())
      t.join();
  impl_->threads.clear();
}

} // namespace herald::net
