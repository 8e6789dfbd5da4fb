#include "net/listener.hpp"

#include "config/log.hpp"
#include "net/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace herald::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Over server.max_connections_per_ip: one short answer, written without
// waiting (a few bytes always fit a fresh socket's buffer), then the close.
void refuse_at_once(tcp::socket& socket) {
  static const char answer[] =
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n"
      "Content-Length: 49\r\n\r\n{\"error\":\"server.max_connections_per_ip reached\"}";
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(answer, sizeof answer - 1), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

} // namespace

listener::listener(asio::io_context& ioc, tcp::endpoint endpoint, server_context& ctx)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), backoff_(ioc), ctx_(ctx) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() {
  do_accept();
}

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
      auto now = std::chrono::steady_clock::now();
      if (now - self->last_accept_warning_ > std::chrono::seconds(10)) { // EMFILE repeats 20×/s
        self->last_accept_warning_ = now;
        log::warn("net", "accept failed: " + ec.message() + " (repeats are not logged for 10 s)");
      }
      self->backoff_.expires_after(std::chrono::milliseconds(50));
      self->backoff_.async_wait([self](boost::system::error_code e) {
        if (!e)
          self->do_accept();
      });
      return;
    }
    boost::system::error_code peer_ec;
    auto peer = socket.remote_endpoint(peer_ec);
    auto slot = peer_ec ? nullptr : self->ctx_.gate->admit(peer.address());
    if (!slot) {
      refuse_at_once(socket);
    } else {
      serve_http(std::move(socket), self->ctx_, std::move(slot));
    }
    self->do_accept();
  };
}

} // namespace herald::net
