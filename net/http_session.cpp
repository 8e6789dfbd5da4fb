#include "net/http_session.hpp"

#include "config/log.hpp"
#include "config/text.hpp"
#include "net/frame_auth.hpp"
#include "net/http_request.hpp"
#include "net/ws_connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

namespace herald::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

bool contains_token(beast::string_view value, beast::string_view token) {
  std::string v(value), t(token);
  for (auto& c : v)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v.find(t) != std::string::npos;
}

// Sec-WebSocket-Accept: base64(SHA-1(key + RFC 6455 GUID)).
std::string accept_key(beast::string_view key) {
  std::string input(key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

std::string error_body(const std::string& message) {
  return json_text(nlohmann::json{{"error", message}});
}

class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket socket, server_context& ctx, connection_gate::ip_slot slot)
      : stream_(std::move(socket)), ctx_(ctx), gate_(ctx.gate), slot_(std::move(slot)) {}
  // May run after the server is gone (handlers destroyed with the io_context at
  // shutdown): touches only what it owns (ASan found the server's gate freed).
  ~http_session() { gate_->finished(pending_); }

  void run() {
    // Pending until the first request is read: if max_pending are waiting
    // already, the one that has waited longest makes room.
    pending_ = gate_->waiting([weak = weak_from_this(), ex = stream_.get_executor()] {
      boost::asio::post(ex, [weak] {
        if (auto self = weak.lock())
          self->close();
      });
    });
    do_read();
  }

private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(ctx_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.max_header_bytes));
    // The first request must come within request_timeout; later ones on a
    // kept-alive connection may idle up to http_idle_timeout first.
    stream_.expires_after(pending_ ? ctx_.request_timeout : ctx_.http_idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  // A browser request from a page of another origin: refused unless listed in
  // server.allowed_origins (CSRF: backends and curl send no Origin). The
  // node's own origin (the console it serves) is always allowed.
  bool origin_allowed(const http::request<http::string_body>& req, bool only_when_listed) const {
    auto origin = req[http::field::origin];
    if (origin.empty())
      return true;
    if (only_when_listed && ctx_.allowed_origins.empty())
      return true;
    auto& list = ctx_.allowed_origins;
    if (std::find(list.begin(), list.end(), std::string(origin)) != list.end())
      return true;
    auto host = std::string(req[http::field::host]);
    return !host.empty() && (origin == "http://" + host || origin == "https://" + host);
  }

  void on_read(beast::error_code ec) {
    gate_->finished(pending_);
    pending_.reset();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == boost::asio::error::operation_aborted || ec == boost::asio::error::connection_reset)
      return close();
    if (ec == http::error::body_limit)
      return reply(413, R"({"error":"request body larger than server.max_body_bytes"})", false);
    if (ec == http::error::header_limit)
      return reply(431, R"({"error":"request headers larger than server.max_header_bytes"})",
                   false);
    if (ec || !parser_) // not HTTP at all: answer once and hang up
      return reply(400, R"({"error":"malformed HTTP request"})", false);
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    bool cross_site_ok = origin_allowed(req, false), upgrade_origin_ok = origin_allowed(req, true);
    auto ar = to_api_request(req);
    const auto& path = ar.path;
    if (path == "/ws") {
      if (!upgrade_origin_ok)
        return reply(403, R"({"error":"Origin not in server.allowed_origins"})", false);
      return upgrade(req, ar.query);
    }
    if (path.rfind("/api/v1/", 0) == 0 && !cross_site_ok)
      return reply(
          403, R"({"error":"cross-site request refused: Origin not in server.allowed_origins"})",
          keep_alive_);
    if (path.rfind("/api/v1/", 0) == 0 || path == "/metrics" || path == "/console" ||
        path.rfind("/console/", 0) == 0) {
      ctx_.routes.handle(ar, [self = shared_from_this()](api_response r) {
        // The answer may come from an actor thread: hop back onto the strand.
        boost::asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable {
          self->reply(r.status, std::move(r.body), self->keep_alive_, r.content_type);
        });
      });
      return;
    }
    reply(404, R"({"error":"no such route"})", keep_alive_);
  }

  void upgrade(http::request<http::string_body>& req, const std::string& query) {
    if (req.method() != http::verb::get ||
        !contains_token(req[http::field::upgrade], "websocket") ||
        !contains_token(req[http::field::connection], "upgrade"))
      return reply(426, R"({"error":"GET /ws needs a WebSocket upgrade"})", false);
    if (req[http::field::sec_websocket_version] != "13")
      return reply(426, R"({"error":"Sec-WebSocket-Version must be 13"})", false);
    auto key = req[http::field::sec_websocket_key];
    if (key.empty())
      return reply(400, R"({"error":"missing Sec-WebSocket-Key"})", false);
    accept_key_ = accept_key(key);
    decision_ = read_upgrade(query, req[http::field::authorization], ctx_.upgrade);
    if (decision_.status != 101 || decision_.auth_by_frame)
      return decided();
    if (decision_.token.empty()) {
      authorize_upgrade(decision_, nullptr);
      return decided();
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    // The answer may come from the JWKS thread (an unknown kid refetches).
    check_client_token(decision_.token, ctx_.upgrade, *ctx_.tokens, now,
                       [self = shared_from_this()](token_result checked) {
                         boost::asio::post(self->stream_.get_executor(),
                                           [self, checked = std::move(checked)] {
                                             authorize_upgrade(self->decision_, &checked);
                                             self->decided();
                                           });
                       });
  }

  void decided() {
    if (decision_.status != 101)
      return reply(decision_.status, error_body(decision_.error), false);
    if (++ctx_.counters.active_connections > ctx_.max_connections) {
      --ctx_.counters.active_connections;
      ++ctx_.counters.rejected_full;
      return reply(503, R"({"error":"server.max_connections reached"})", false);
    }
    auto res =
        std::make_shared<http::response<http::empty_body>>(http::status::switching_protocols, 11);
    res->set(http::field::server, "herald");
    res->set(http::field::upgrade, "websocket");
    res->set(http::field::connection, "Upgrade");
    res->set(http::field::sec_websocket_accept, accept_key_);
    stream_.expires_never();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->on_upgraded(ec);
                      });
  }

  void on_upgraded(beast::error_code ec) {
    if (ec) {
      --ctx_.counters.active_connections;
      return close();
    }
    ++ctx_.counters.total_connections;
    auto leftover = beast::buffers_to_string(buffer_.data());
    auto conn = std::make_shared<ws_connection>(stream_.release_socket(), std::move(leftover),
                                                ctx_.limits, ctx_.counters);
    conn->hold(std::move(slot_));
    if (decision_.auth_by_frame)
      return await_auth_frame(std::move(conn), std::move(decision_), ctx_);
    ctx_.registry.connect(connect_request_of(std::move(decision_), std::move(conn)));
  }

  void reply(int status, std::string body, bool keep_alive,
             const std::string& content_type = "application/json") {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::server, "herald");
    res->set(http::field::content_type, content_type);
    res->set("X-Content-Type-Options", "nosniff");
    res->set(http::field::cache_control, "no-store");
    if (content_type.rfind("text/html", 0) == 0)
      res->set("Content-Security-Policy", "frame-ancestors 'none'");
    res->keep_alive(keep_alive);
    res->body() = std::move(body);
    res->prepare_payload();
    stream_.expires_after(ctx_.http_idle_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive)
            return self->close();
          self->do_read();
        });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  server_context& ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  upgrade_decision decision_;
  std::string accept_key_;
  std::shared_ptr<connection_gate> gate_;
  connection_gate::ip_slot slot_;
  connection_gate::ticket pending_;
};

} // namespace

connect_request connect_request_of(upgrade_decision&& d, std::shared_ptr<frame_sink> sink) {
  connect_request cr;
  cr.sink = std::move(sink);
  cr.user = std::move(d.user);
  cr.allowed = std::move(d.allowed);
  cr.channels = std::move(d.channels);
  cr.resume_id = std::move(d.resume_id);
  cr.resume_token = std::move(d.resume_token);
  cr.last_seq = d.last_seq;
  cr.since = std::move(d.since);
  cr.last_event_id = std::move(d.last_event_id);
  cr.token_exp_s = d.token_exp_s;
  return cr;
}

void serve_http(tcp::socket socket, server_context& ctx, connection_gate::ip_slot slot) {
  std::make_shared<http_session>(std::move(socket), ctx, std::move(slot))->run();
}

} // namespace herald::net
