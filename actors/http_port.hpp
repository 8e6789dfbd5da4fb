#pragma once
// How a notifier sends an HTTP request without knowing Beast: net/ implements
// it (net/http_client). `post` never blocks; `done` runs later on another
// thread, exactly once.
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace herald {

struct http_request {
  std::string url;                                          // http:// or https://
  std::string method = "POST";                              // or "GET" (no body sent)
  std::vector<std::pair<std::string, std::string>> headers; // more headers, as given
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds timeout{5000};
};

struct http_response {
  int status = 0; // 0: no answer (connection failed, timeout); `error` says why
  std::string body;
  std::string retry_after; // the Retry-After header, if any
  std::string error;
};

class http_port {
public:
  virtual ~http_port() = default;
  virtual void post(http_request req, std::function<void(http_response)> done) = 0;
};

} // namespace herald
