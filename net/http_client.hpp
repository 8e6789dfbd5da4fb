#pragma once
// The outbound HTTP client notifiers use (actors/http_port.hpp), on Beast:
// its own io_context and thread, so a slow sink never holds an I/O thread
// of the server. Every request is bounded by its timeout (connect, write
// and read together); http:// and https:// (TLS with the system's CA store).
// Connections are kept alive per origin (at most idle_max idle ones, each
// for idle_timeout) and reused; one the server closed while it was idle
// sends its request again on a new connection.
#include "actors/http_port.hpp"

#include <chrono>
#include <cstddef>
#include <memory>

namespace herald::net {

struct http_client_options {
  size_t idle_max = 64; // idle connections kept per origin; 0: a new connection per request
  std::chrono::milliseconds idle_timeout{30000};
};

class http_client final : public http_port {
public:
  explicit http_client(http_client_options options = {});
  ~http_client() override;
  void post(http_request req, std::function<void(http_response)> done) override;
  // Cancels what is in flight (their callbacks say so) and joins the thread.
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

// "http(s)://host[:port]/path" → parts; false when it is not such a URL.
struct url_parts {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target = "/";
};
bool parse_url(const std::string& url, url_parts& out);

} // namespace herald::net
