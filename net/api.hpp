#pragma once
// The HTTP API of docs/http-api.md as plain request → response; http_session does
// the wire. No Beast and no CAF here.
#include "actors/queue_client.hpp"
#include "actors/registry_client.hpp"
#include "config/config.hpp"
#include "net/server_counters.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace herald::net {

struct api_request {
  std::string method; // "GET", "POST", …
  std::string path;   // without the query
  std::string query;  // after '?', undecoded
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
  // `queue` may be null: then the queue routes answer 503.
  api(const config::herald_config& cfg, registry_client& registry, server_counters& counters,
      queue_client* queue = nullptr);

  // Answers `req` by calling `respond` exactly once, maybe later and on another thread.
  void handle(const api_request& req, std::function<void(api_response)> respond);

private:
  bool authorized(const api_request& req) const;
  // api_publish.cpp
  void publish(const api_request& req, std::function<void(api_response)> respond);
  void publish_batch(const api_request& req, std::function<void(api_response)> respond);
  void stats(std::function<void(api_response)> respond);
  void presence(const std::string& user, std::function<void(api_response)> respond);
  api_response health() const;
  // The outbound-notification routes (api_queue.cpp); false when `req` is not one.
  bool handle_queue(const api_request& req, std::function<void(api_response)>& respond);
  void notify(const api_request& req, std::function<void(api_response)> respond);
  void notify_batch(const api_request& req, std::function<void(api_response)> respond);
  void submit_notify(persistence::job j, bool require_opt_in,
                     std::function<void(int, std::string)> done);
  // A user publish's "escalate" (api_escalate.cpp).
  struct pending_escalation {
    persistence::job job; // sink, to, text
    int64_t after_ms = 0;
    bool require_opt_in = false;
  };
  std::optional<std::string> parse_escalation(const nlohmann::json& spec,
                                              pending_escalation& out) const;
  // Stores the escalation of a stored event; `done` gets `answer` with "escalation" added.
  void escalate(pending_escalation e, const std::string& event_id, const std::string& data,
                nlohmann::json answer, std::function<void(nlohmann::json)> done);
  // The channel routes (api_channels.cpp); false when `req` is not one.
  bool handle_channels(const api_request& req, std::function<void(api_response)>& respond);
  void channel_history(const std::string& channel, const std::string& query,
                       std::function<void(api_response)> respond);
  void channel_presence(const std::string& channel, std::function<void(api_response)> respond);
  // The control API (api_control.cpp); false when `req` is not one of its routes.
  bool handle_control(const api_request& req, std::function<void(api_response)>& respond);
  void command_user(const api_request& req, std::function<void(api_response)> respond);
  void presence_many(const api_request& req, std::function<void(api_response)> respond);
  void list_channels(const std::string& query, std::function<void(api_response)> respond);
  // A user's inbox and receipts (api_inbox.cpp); false when `req` is not one of its routes.
  bool handle_inbox(const api_request& req, std::function<void(api_response)>& respond);
  void inbox_list(const std::string& user, const std::string& query,
                  std::function<void(api_response)> respond);
  void inbox_read(const std::string& user, const api_request& req,
                  std::function<void(api_response)> respond);
  void receipt(const std::string& id, std::function<void(api_response)> respond);
  // Monitoring (api_monitor.cpp).
  void actors(const api_request& req, std::function<void(api_response)> respond);
  void metrics(std::function<void(api_response)> respond);
  api_response console_file(const std::string& path) const; // console_files.cpp

public:
  // Connection-gate figures for /metrics (set once, before serving).
  void set_gate(std::shared_ptr<class connection_gate> gate) { gate_ = std::move(gate); }
  // Console tokens are signed with this (set once, before serving).
  void set_console_secret(std::string secret) { console_secret_ = std::move(secret); }
  void set_series(const class monitor_series* series) { series_ = series; }

private:
  std::string console_secret_;
  const class monitor_series* series_ = nullptr;
  std::shared_ptr<class connection_gate> gate_;

  const config::herald_config& cfg_;
  registry_client& registry_;
  server_counters& counters_;
  queue_client* queue_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  // /metrics is open: it is rendered at most once a second, whoever asks.
  struct metrics_cache {
    std::mutex m;
    std::string text;
    std::chrono::steady_clock::time_point at;
    bool rendering = false;
    std::vector<std::function<void(api_response)>> waiting;
  };
  std::shared_ptr<metrics_cache> metrics_cache_;
  void render_metrics(std::function<void(std::string)> done);
};

} // namespace herald::net
