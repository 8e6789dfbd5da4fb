#include "net/api.hpp"

#include "actors/channel_policy.hpp"
#include "actors/event.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"
#include "net/jwt_auth.hpp"
#include "net/monitor_series.hpp"
#include "net/upgrade.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace herald::net {

using nlohmann::json;

api_response json_error(int status, const std::string& message) {
  return {status, json_text(json{{"error", message}})};
}

namespace {

api_response json_ok(const json& j, int status = 200) {
  return {status, json_text(j)};
}

// Compares digests, not the keys: the time taken says nothing about either
// key's length or content.
bool same_key(const std::string& a, const std::string& b) {
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

} // namespace

api::api(const config::herald_config& cfg, registry_client& registry, server_counters& counters,
         queue_client* queue)
    : cfg_(cfg), registry_(registry), counters_(counters), queue_(queue),
      metrics_cache_(std::make_shared<metrics_cache>()) {}

bool api::authorized(const api_request& req) const {
  if (cfg_.auth.api_keys.empty())
    return true;
  if (req.authorization.rfind("Bearer ", 0) != 0)
    return false;
  auto key = req.authorization.substr(7);
  bool ok = false;
  for (auto& k : cfg_.auth.api_keys)
    ok |= same_key(k, key);
  return ok;
}

void api::handle(const api_request& req, std::function<void(api_response)> respond) {
  const std::string& p = req.path;
  // Checked where it enters (docs/security.md); no answer echoes the raw path.
  if (!valid_utf8(p) || !valid_utf8(req.query))
    return respond(json_error(400, "the request target is not valid UTF-8"));
  auto method_is = [&](const char* m) {
    if (req.method == m)
      return true;
    respond(json_error(405, std::string("use ") + m));
    return false;
  };
  if (p == "/api/v1/websocket/health") {
    if (method_is("GET"))
      respond(health());
    return;
  }
  if (p == "/api/v1/websocket/stats") {
    if (method_is("GET"))
      stats(std::move(respond));
    return;
  }
  // Open routes: metrics for scrapers, and the console's static files (the
  // console asks for an API key before it shows anything).
  if (p == "/metrics") {
    if (method_is("GET"))
      metrics(std::move(respond));
    return;
  }
  if (p == "/console" || p.rfind("/console/", 0) == 0) {
    if (method_is("GET"))
      respond(console_file(p));
    return;
  }
  if (p == "/api/v1/console/token") {
    if (!authorized(req))
      return respond(json_error(401, "missing or wrong API key (Authorization: Bearer <key>)"));
    if (!method_is("POST"))
      return;
    auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() +
               3600;
    auto token = sign_token(make_id("console:"), {monitor_channel}, exp, console_secret_);
    if (token.empty())
      return respond(json_error(503, "could not sign a console token"));
    return respond(json_ok({{"token", token}, {"channel", monitor_channel}, {"expires_in", 3600}}));
  }
  if (p == "/api/v1/console/series") {
    if (!authorized(req))
      return respond(json_error(401, "missing or wrong API key (Authorization: Bearer <key>)"));
    if (!method_is("GET"))
      return;
    if (!series_)
      return respond(json_error(503, "no console series on this node"));
    return respond(json_ok(series_->to_json()));
  }
  if (p == "/api/v1/actors") {
    if (!authorized(req))
      return respond(json_error(401, "missing or wrong API key (Authorization: Bearer <key>)"));
    if (method_is("GET"))
      actors(req, std::move(respond));
    return;
  }
  if (handle_channels(req, respond))
    return;
  if (handle_control(req, respond))
    return;
  if (handle_inbox(req, respond))
    return;
  bool queue_route = p == "/api/v1/notify" || p == "/api/v1/notify/batch" ||
                     p == "/api/v1/queue/stats" || p == "/api/v1/dlq" ||
                     p.rfind("/api/v1/dlq/", 0) == 0 || p.rfind("/api/v1/optin/", 0) == 0;
  bool known = queue_route || p == "/api/v1/publish" || p == "/api/v1/publish/batch" ||
               p.rfind("/api/v1/presence/", 0) == 0;
  if (!known)
    return respond(json_error(404, "no such route"));
  if (!authorized(req))
    return respond(json_error(401, "missing or wrong API key (Authorization: Bearer <key>)"));
  if (queue_route) {
    handle_queue(req, respond);
    return;
  }
  if (p == "/api/v1/publish" || p == "/api/v1/publish/batch") {
    if (method_is("POST"))
      p == "/api/v1/publish" ? publish(req, std::move(respond))
                             : publish_batch(req, std::move(respond));
    return;
  }
  auto user = decode_path_segment(p.substr(std::string("/api/v1/presence/").size()));
  if (user.empty())
    return respond(json_error(404, "no user given"));
  if (!valid_utf8(user) || user.size() > 200)
    return respond(json_error(400, "the user must be 1 to 200 bytes of UTF-8"));
  if (method_is("GET"))
    presence(user, std::move(respond));
}

void api::stats(std::function<void(api_response)> respond) {
  registry_.stats([this, respond](std::optional<registry_stats> st) {
    if (!st)
      return respond(json_error(503, "the registry did not answer"));
    json out{{"active_connections", counters_.active_connections.load()},
             {"total_connections", counters_.total_connections.load()},
             {"total_messages", counters_.total_messages.load()},
             {"users", st->users},
             {"channels", st->channels},
             {"evicted_stale", st->evicted_stale},
             {"sessions", st->sessions},
             {"messages_in", counters_.messages_in.load()},
             {"socket_writes", counters_.socket_writes.load()},
             {"slow_consumer_closes", counters_.slow_consumer_closes.load()},
             {"rejected_full", counters_.rejected_full.load()}};
    auto node = registry_.node_id();
    if (node.empty())
      return respond(json_ok(out));
    // Many nodes: the sums of what every live node last reported (each
    // reports every redis.node_ttl/3), next to this node's own figures.
    out["node_id"] = node;
    registry_.totals([out, respond](std::optional<cluster_totals> t) mutable {
      if (t) {
        json sums = json::object();
        for (auto& [k, v] : t->sums)
          sums[k] = v;
        sums["nodes"] = t->nodes;
        out["cluster"] = sums;
      } else {
        out["cluster"] = nullptr; // Redis down: this node's figures only
      }
      respond(json_ok(out));
    });
  });
}

void api::presence(const std::string& user, std::function<void(api_response)> respond) {
  registry_.presence(user, [respond](std::optional<presence_info> info) {
    if (!info)
      return respond(json_error(503, "the registry did not answer"));
    json last_seen = nullptr;
    if (info->last_seen)
      last_seen = rfc3339(*info->last_seen);
    respond(json_ok({{"user", info->user},
                     {"connected", info->connected},
                     {"sessions", info->sessions},
                     {"last_seen", last_seen}}));
  });
}

api_response api::health() const {
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  std::string redis = registry_.redis_state();
  bool storage_ok = registry_.storage_healthy() && redis != "down";
  bool ok = storage_ok && redis != "down";
  json out{{"status", ok ? "ok" : "degraded"},
           {"storage", storage_ok ? "ok" : "down"},
           {"redis", redis},
           {"uptime_s", uptime}};
  if (auto latency = registry_.redis_latency_us(); latency >= 0)
    out["redis_latency_ms"] = double(latency) / 1000.0;
  if (auto node = registry_.node_id(); !node.empty())
    out["node_id"] = node;
  return json_ok(out, ok ? 200 : 503);
}

} // namespace herald::net
