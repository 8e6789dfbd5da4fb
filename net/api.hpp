#pragma once
// The HTTP API of CONTRACT §4 as plain request → response; http_session does
// the wire. No Beast and no CAF here.
#include "actors/registry_client.hpp"
#include "config/config.hpp"
#include "net/server_counters.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace herald::net {

struct api_request {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query
  std::string authorization;
  std::string body;
};

struct api_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

api_response json_error(int status, const std::string& message);

class api {
public:
  api(const config::herald_config& cfg, registry_client& registry, server_counters& counters);

  // Answers `req` by calling `respond` exactly once, maybe later and on another thread.
  void handle(const api_request& req, std::function<void(api_response)> respond);

private:
  bool authorized(const api_request& req) const;
  void publish(const api_request& req, std::function<void(api_response)> respond);
  void stats(std::function<void(api_response)> respond);
  void presence(const std::string& user, std::function<void(api_response)> respond);
  api_response health() const;

  const config::herald_config& cfg_;
  registry_client& registry_;
  server_counters& counters_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

} // namespace herald::net
