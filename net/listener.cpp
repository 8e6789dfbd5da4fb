#include "net/listener.hpp"

#include "config/log.hpp"
#include "net/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace herald::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

listener::listener(asio::io_context& ioc, tcp::endpoint endpoint, server_context& ctx)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), backoff_(ioc), ctx_(ctx) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() { do_accept(); }

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void listener::do_accept() {
  // One I/O thread runs every handler in turn: a strand per connection
  // would only cost memory (its state) and time.
  if (ctx_.io_threads == 1)
    acceptor_.async_accept(ioc_.get_executor(), on_accept());
  else
    acceptor_.async_accept(asio::make_strand(ioc_), on_accept());
}

std::function<void(boost::system::error_code, tcp::socket)> listener::on_accept() {
  return [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open())
      return;
    if (ec) {
      // Out of file descriptors and the like: wait a little instead of spinning.
      log::warn("net", "accept failed: " + ec.message());
      self->backoff_.expires_after(std::chrono::milliseconds(50));
      self->backoff_.async_wait([self](boost::system::error_code e) {
        if (!e)
          self->do_accept();
      });
      return;
    }
    serve_http(std::move(socket), self->ctx_);
    self->do_accept();
  };
}

} // namespace herald::net
