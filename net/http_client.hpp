#pragma once
// The outbound HTTP client notifiers use (actors/http_port.hpp), on Beast:
// its own io_context and thread, so a slow sink never holds an I/O thread
// of the server. Every request is bounded by its timeout (connect, write
// and read together); http:// and https:// (TLS with the system's CA store).
#include "actors/http_port.hpp"

#include <memory>

namespace herald::net {

class http_client final : public http_port {
public:
  http_client();
  ~http_client() override;
  void post(http_request req, std::function<void(http_response)> done) override;
  // Cancels what is in flight (their callbacks say so) and joins the thread.
  void stop();

private:
  struct impl;
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
