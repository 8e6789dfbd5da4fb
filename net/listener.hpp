#pragma once
// Accepts TCP connections and hands each, on its own strand, to an HTTP session.
#include "net/context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>

namespace herald::net {

class listener : public std::enable_shared_from_this<listener> {
public:
  // Binds and listens; throws boost::system::system_error when it cannot.
  listener(boost::asio::io_context& ioc, boost::asio::ip::tcp::endpoint endpoint,
           server_context& ctx);

  void run();
  void stop();
  uint16_t port() const { return port_; }

private:
  void do_accept();
  std::function<void(boost::system::error_code, boost::asio::ip::tcp::socket)> on_accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  server_context& ctx_;
  uint16_t port_ = 0;
  std::chrono::steady_clock::time_point last_accept_warning_{}; // acceptor strand only
};

} // namespace herald::net
