#include "net/http_client.hpp"

#include "config/contain.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <thread>

namespace herald::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool parse_url(const std::string& url, url_parts& out) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return false;
  }
  auto slash = rest.find('/');
  auto hostport = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    out.host = hostport.substr(0, colon);
    out.port = hostport.substr(colon + 1);
  } else {
    out.host = hostport;
    out.port = out.tls ? "443" : "80";
  }
  return !out.host.empty() && !out.port.empty() &&
         out.port.find_first_not_of("0123456789") == std::string::npos;
}

namespace {

// One request: resolve, connect, (handshake,) write, read; then `done` once.
template <class Stream> class exchange : public std::enable_shared_from_this<exchange<Stream>> {
public:
  exchange(Stream stream, tcp::resolver resolver, url_parts url, http_request req,
           std::function<void(http_response)> done)
      : stream_(std::move(stream)), resolver_(std::move(resolver)), url_(std::move(url)),
        done_(std::move(done)) {
    request_.method(req.method == "GET" ? http::verb::get : http::verb::post);
    request_.target(url_.target);
    request_.version(11);
    request_.set(http::field::host, url_.host);
    request_.set(http::field::user_agent, "herald");
    request_.set(http::field::connection, "close");
    for (auto& [name, value] : req.headers)
      request_.set(name, value);
    if (request_.method() == http::verb::post) {
      request_.set(http::field::content_type, req.content_type);
      request_.body() = std::move(req.body);
      request_.prepare_payload();
    }
    timeout_ = req.timeout;
  }

  void start() {
    lowest().expires_after(timeout_);
    auto self = this->shared_from_this();
    resolver_.async_resolve(
        url_.host, url_.port, [self](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec)
            return self->finish(ec, "resolve");
          self->lowest().async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
            if (ec)
              return self->finish(ec, "connect");
            self->handshake();
          });
        });
  }

private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void handshake() {
    auto self = this->shared_from_this();
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      write();
    } else {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str()))
        return finish(beast::error_code(int(::ERR_get_error()), asio::error::get_ssl_category()),
                      "tls");
      stream_.set_verify_callback(asio::ssl::host_name_verification(url_.host));
      stream_.async_handshake(asio::ssl::stream_base::client, [self](beast::error_code ec) {
        if (ec)
          return self->finish(ec, "tls handshake");
        self->write();
      });
    }
  }

  void write() {
    auto self = this->shared_from_this();
    http::async_write(stream_, request_, [self](beast::error_code ec, std::size_t) {
      if (ec)
        return self->finish(ec, "write");
      http::async_read(self->stream_, self->buffer_, self->response_,
                       [self](beast::error_code ec, std::size_t) { self->finish(ec, "read"); });
    });
  }

  void finish(beast::error_code ec, const char* step) {
    if (!done_)
      return;
    http_response out;
    if (ec) {
      out.error = ec == beast::error::timeout ? std::string("timeout")
                                              : std::string(step) + ": " + ec.message();
    } else {
      out.status = int(response_.result_int());
      out.body = std::move(response_.body());
      if (auto it = response_.find(http::field::retry_after); it != response_.end())
        out.retry_after = std::string(it->value());
    }
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(out));
  }

  Stream stream_;
  tcp::resolver resolver_;
  url_parts url_;
  std::chrono::milliseconds timeout_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
  std::function<void(http_response)> done_;
};

} // namespace

struct http_client::impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::thread thread;
};

http_client::http_client() : impl_(new impl) {
  impl_->tls.set_default_verify_paths();
  impl_->tls.set_verify_mode(asio::ssl::verify_peer);
  impl_->thread =
      std::thread([this] { run_contained("http-client", [this] { impl_->io.run(); }); });
}

http_client::~http_client() {
  stop();
}

void http_client::stop() {
  if (!impl_->thread.joinable())
    return;
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

void http_client::post(http_request req, std::function<void(http_response)> done) {
  url_parts url;
  if (!parse_url(req.url, url)) {
    http_response bad;
    bad.error = "not an http(s) URL (the URL is not shown: it may carry a token)";
    return done(std::move(bad));
  }
  asio::post(impl_->io, [this, url, req = std::move(req), done = std::move(done)]() mutable {
    tcp::resolver resolver(impl_->io);
    if (url.tls) {
      beast::ssl_stream<beast::tcp_stream> stream(impl_->io, impl_->tls);
      std::make_shared<exchange<beast::ssl_stream<beast::tcp_stream>>>(
          std::move(stream), std::move(resolver), url, std::move(req), std::move(done))
          ->start();
    } else {
      beast::tcp_stream stream(impl_->io);
      std::make_shared<exchange<beast::tcp_stream>>(std::move(stream), std::move(resolver), url,
                                                    std::move(req), std::move(done))
          ->start();
    }
  });
}

} // namespace herald::net
