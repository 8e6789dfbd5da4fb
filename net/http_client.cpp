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

#include <chrono>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

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
  return !out.host.empty() && !out.port.empty() && out.port.size() <= 5 &&
         out.port.find_first_not_of("0123456789") == std::string::npos &&
         std::stoul(out.port) <= 65535;
}

namespace {

using clock = std::chrono::steady_clock;

// One kept-alive connection to an origin.
template <class Stream> struct connection {
  template <class... Args>
  explicit connection(Args&&... args) : stream(std::forward<Args>(args)...) {}
  Stream stream;
  bool reused = false;
  clock::time_point idle_since;
};

template <class Stream>
using idle_map = std::unordered_map<std::string, std::vector<std::shared_ptr<connection<Stream>>>>;

} // namespace

struct http_client::impl {
  explicit impl(http_client_options o) : options(o) {}
  http_client_options options;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  asio::ssl::context tls{asio::ssl::context::tls_client};
  // Idle connections by origin; touched on the client's thread only.
  idle_map<beast::tcp_stream> idle_plain;
  idle_map<beast::ssl_stream<beast::tcp_stream>> idle_tls;
  std::thread thread;

  template <class Stream> idle_map<Stream>& idle() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>)
      return idle_plain;
    else
      return idle_tls;
  }
};

namespace {

std::string origin_of(const url_parts& u) {
  return (u.tls ? "https://" : "http://") + u.host + ":" + u.port;
}

// A connection kept for `origin`, fresh enough; nullptr when there is none.
template <class Stream>
std::shared_ptr<connection<Stream>> take_idle(http_client::impl& pool, const std::string& origin) {
  auto& map = pool.idle<Stream>();
  auto it = map.find(origin);
  if (it == map.end())
    return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    auto c = std::move(list.back());
    list.pop_back();
    if (clock::now() - c->idle_since < pool.options.idle_timeout) {
      c->reused = true;
      return c;
    }
    beast::error_code ignored;
    beast::get_lowest_layer(c->stream).socket().close(ignored);
  }
  map.erase(it);
  return nullptr;
}

template <class Stream>
void give_back(http_client::impl& pool, const std::string& origin,
               std::shared_ptr<connection<Stream>> c) {
  auto& list = pool.idle<Stream>()[origin];
  if (list.size() >= pool.options.idle_max) {
    beast::error_code ignored;
    beast::get_lowest_layer(c->stream).socket().close(ignored);
    return;
  }
  beast::get_lowest_layer(c->stream).expires_never();
  c->idle_since = clock::now();
  list.push_back(std::move(c));
}

template <class Stream> std::shared_ptr<connection<Stream>> fresh(http_client::impl& pool) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>)
    return std::make_shared<connection<Stream>>(pool.io);
  else
    return std::make_shared<connection<Stream>>(pool.io, pool.tls);
}

// One request on a kept-alive connection or a new one (resolve unless the
// host is an IP address, connect, TLS handshake), then `done` once. A kept
// connection the server closed meanwhile fails before any answer: the
// request then goes again on a new connection, once.
template <class Stream> class exchange : public std::enable_shared_from_this<exchange<Stream>> {
public:
  exchange(http_client::impl& pool, url_parts url, http_request req,
           std::function<void(http_response)> done)
      : pool_(pool), url_(std::move(url)), origin_(origin_of(url_)), resolver_(pool.io),
        done_(std::move(done)) {
    request_.method(req.method == "GET" ? http::verb::get : http::verb::post);
    request_.target(url_.target);
    request_.version(11);
    request_.set(http::field::host, url_.host);
    request_.set(http::field::user_agent, "herald");
    request_.keep_alive(pool.options.idle_max > 0);
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
    deadline_ = clock::now() + timeout_;
    if (pool_.options.idle_max > 0)
      conn_ = take_idle<Stream>(pool_, origin_);
    if (conn_) {
      lowest().expires_at(deadline_);
      return write();
    }
    connect();
  }

private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(conn_->stream); }

  void connect() {
    conn_ = fresh<Stream>(pool_);
    lowest().expires_at(deadline_);
    auto self = this->shared_from_this();
    beast::error_code ec;
    auto address = asio::ip::make_address(url_.host, ec);
    if (!ec) { // an IP address: no resolver thread round trip
      tcp::endpoint to(address, static_cast<unsigned short>(std::stoul(url_.port)));
      return lowest().async_connect(to, [self](beast::error_code ec) {
        if (ec)
          return self->finish(ec, "connect");
        self->handshake();
      });
    }
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

  void handshake() {
    auto self = this->shared_from_this();
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      write();
    } else {
      auto& tls = conn_->stream;
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str()))
        return finish(beast::error_code(int(::ERR_get_error()), asio::error::get_ssl_category()),
                      "tls");
      tls.set_verify_callback(asio::ssl::host_name_verification(url_.host));
      tls.async_handshake(asio::ssl::stream_base::client, [self](beast::error_code ec) {
        if (ec)
          return self->finish(ec, "tls handshake");
        self->write();
      });
    }
  }

  void write() {
    auto self = this->shared_from_this();
    http::async_write(conn_->stream, request_, [self](beast::error_code ec, std::size_t) {
      if (ec)
        return self->retry_or_finish(ec, "write");
      http::async_read(self->conn_->stream, self->buffer_, *self->parser_,
                       [self](beast::error_code ec, std::size_t) {
                         if (ec)
                           return self->retry_or_finish(ec, "read");
                         self->finish(ec, "read");
                       });
    });
  }

  void retry_or_finish(beast::error_code ec, const char* step) {
    bool closed_while_idle = conn_->reused && !parser_->got_some() && ec != beast::error::timeout;
    if (!closed_while_idle)
      return finish(ec, step);
    beast::error_code ignored;
    lowest().socket().close(ignored);
    buffer_.clear();
    parser_ = std::make_unique<http::response_parser<http::string_body>>();
    connect();
  }

  void finish(beast::error_code ec, const char* step) {
    if (!done_)
      return;
    http_response out;
    bool keep = false;
    if (ec) {
      out.error = ec == beast::error::timeout ? std::string("timeout")
                                              : std::string(step) + ": " + ec.message();
    } else {
      auto& response = parser_->get();
      out.status = int(response.result_int());
      out.body = std::move(response.body());
      if (auto it = response.find(http::field::retry_after); it != response.end())
        out.retry_after = std::string(it->value());
      keep = pool_.options.idle_max > 0 && response.keep_alive() && buffer_.size() == 0;
    }
    if (keep) {
      give_back<Stream>(pool_, origin_, std::move(conn_));
    } else if (conn_) {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(out));
  }

  http_client::impl& pool_;
  url_parts url_;
  std::string origin_;
  tcp::resolver resolver_;
  std::shared_ptr<connection<Stream>> conn_;
  std::chrono::milliseconds timeout_;
  clock::time_point deadline_;
  http::request<http::string_body> request_;
  std::unique_ptr<http::response_parser<http::string_body>> parser_ =
      std::make_unique<http::response_parser<http::string_body>>();
  beast::flat_buffer buffer_;
  std::function<void(http_response)> done_;
};

} // namespace

http_client::http_client(http_client_options options) : impl_(new impl(options)) {
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
    if (url.tls)
      std::make_shared<exchange<beast::ssl_stream<beast::tcp_stream>>>(*impl_, url, std::move(req),
                                                                       std::move(done))
          ->start();
    else
      std::make_shared<exchange<beast::tcp_stream>>(*impl_, url, std::move(req), std::move(done))
          ->start();
  });
}

} // namespace herald::net
