#pragma once
// Herald's configuration: the TOML file of docs/configuration.md, environment overrides
// (HERALD_<SECTION>_<KEY>) and validation. Every limit used anywhere comes from here.
#include "config/duration.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald::config {

using namespace std::chrono_literals;

struct server_section {
  std::string listen = "127.0.0.1:8080";
  int64_t threads = 0;
  int64_t max_connections = 200000;
  int64_t max_message_bytes = 65536;
  duration shutdown_grace = 10s;
  int64_t max_body_bytes = 1 << 20; // HTTP request bodies; larger → 413
  int64_t max_header_bytes = 16384; // HTTP request line + headers; larger → 431
  duration close_timeout = 2s;      // wait for the peer's close reply, then drop TCP
  duration http_idle_timeout = 60s; // idle keep-alive HTTP connections are closed
  int64_t max_json_depth = 64;      // nesting of any JSON Herald reads; deeper → refused
  int64_t max_pending =
      1024; // connections before their first request/upgrade; full → oldest closed
  duration request_timeout = 10s;           // a request's line and headers must arrive within this
  int64_t max_connections_per_ip = 0;       // open TCP connections per client address; 0 = no limit
  std::vector<std::string> allowed_origins; // non-empty: other Origins get 403 (upgrade and API)
  duration reconnect_spread =
      5s; // shutdown close frames tell clients to wait 0..this before reconnecting
};

struct auth_section {
  std::string jwt_secret;
  bool required = true;
  std::vector<std::string> api_keys;
  duration leeway = 60s;             // clock skew allowed on a token's exp and nbf
  std::string public_key_file;       // PEM public key or certificate (RS*, ES* tokens)
  std::string jwks_url;              // JWKS document of the identity provider
  duration jwks_refresh = 10min;     // the JWKS is fetched again this often
  duration jwks_timeout = 5s;        // one JWKS fetch, connect to last byte
  duration first_frame_timeout = 5s; // auth=frame: the auth frame must come within this
  duration refresh_ahead = 30s;      // token_expiring is sent this long before exp
};

struct heartbeat_section {
  duration interval = 30s;
  duration stale_after = 5min;
};

struct session_section {
  int64_t outbound_queue_max = 1024;
  int64_t max_frames_per_sec = 100;
  duration rate_limit_close_after = 10s; // continuously over the rate this long → 1008
  duration resume_window = 2min;
  int64_t resume_buffer = 256;
  int64_t max_channels = 100; // channels one session may be in; over → error too_many_channels
  int64_t max_per_user =
      16; // sessions (live or resumable) of one user; over → the oldest closed 4008
};

struct presence_section {
  duration retain = 24h;       // last_seen of a user with no session is forgotten after this
  int64_t max_users = 1000000; // remembered offline users; the oldest are forgotten first
};

struct console_section {
  // Sessions asked for their numbers when sorted by mailbox, queued frames or
  // last seen (the console's top sessions, /api/v1/actors?sort=…); beyond
  // this many only the first by id are sorted.
  int64_t scan_sessions = 10000;
};

struct delivery_section {
  int64_t inbox_max = 1000;
  duration inbox_ttl = 24h;
  bool ack_required = false; // true: only a client's ack moves the inbox cursor
  int64_t batches_in_flight =
      16; // publish batches handed to sessions, not yet taken by all; more wait
  int64_t publish_backlog_max = 100000; // publishes waiting behind them; more → 503 (bus: dropped)
  duration idempotency_window = 5min;   // a publish's idempotency_key is remembered this long
  int64_t batch_max = 1000;             // items of one /publish/batch, users of one /presence
  bool receipts = true; // record which sessions got each user event (GET /events/{id})
};

struct storage_section {
  std::string backend = "sqlite";
  std::string path = "data/herald.db";
  int64_t queue_max = 100000; // store jobs waiting at most; beyond → not stored (stored:false)
  duration history_meta_ttl =
      168h; // a channel's epoch and offset outlive its last publish this long
};

struct redis_section {
  std::string url = "redis://127.0.0.1:6379/0";
  duration connect_timeout = 5s;
  duration command_timeout = 5s;
  std::string key_prefix = "herald:";
  std::string node_id;           // empty: a random one per start
  duration node_ttl = 15s;       // a node silent this long counts as gone (presence, stats)
  duration health_interval = 1s; // PING this often
  int64_t queue_max = 100000;    // Redis requests waiting at most; beyond → refused at once
  int64_t max_reply_elements =
      1000000; // one reply array may declare at most this many; more → connection dropped
};

struct queue_section {
  int64_t max_attempts = 3;
  duration base_delay = 1s;
  duration max_delay = 5min;
  duration visibility_timeout = 30s;
  int64_t dlq_max = 10000; // dead jobs kept at most; beyond → the job is kept and retried later
  int64_t restart_intensity = 5; // notifier restarts allowed within restart_period
  duration restart_period = 10s;
  duration poll_interval = 200ms; // how often due delayed jobs and stalled leases are looked for
  duration dedupe_max_age = 24h;  // a notify's dedupe_key is held until its job ends, at most this
  int64_t sink_idle_connections = 64; // kept-alive connections per sink origin; 0: none
  duration sink_idle_timeout = 30s;   // an idle kept connection is closed after this
};

struct sink_config {
  std::string name;
  std::string kind;
  std::string url;
  std::string base_url = "https://api.telegram.org";
  std::string token;
  int64_t rate_per_sec = 10;
  duration timeout = 5s;
  int64_t breaker_failures = 5;
  duration breaker_cooldown = 30s;
  bool require_opt_in = false;
  // Webhooks: "whsec_<base64>" signs every POST the Standard Webhooks way
  // (webhook-id, webhook-timestamp, webhook-signature headers).
  std::string secret;
  std::map<std::string, std::string> headers; // sent with every POST
  // Web Push (kind = "webpush"): the VAPID key (PEM, EC P-256) and the
  // contact the push service sees ("mailto:…" or "https://…").
  std::string vapid_private_key_file;
  std::string vapid_subject;
  duration push_ttl = std::chrono::hours(24); // how long the push service keeps an undelivered push
};

// Options for the channels whose names match (docs/history.md); first match wins.
struct channel_config {
  std::string match;        // an exact name, or a prefix ending in *
  int64_t history_size = 0; // events kept; 0: no history
  duration history_ttl = 10min;
  bool presence = false;   // GET /api/v1/channels/{name}/presence answers for it
  bool join_leave = false; // members get join/leave frames
};

struct log_section {
  std::string level = "info";
};

struct herald_config {
  server_section server;
  auth_section auth;
  heartbeat_section heartbeat;
  session_section session;
  presence_section presence;
  delivery_section delivery;
  storage_section storage;
  redis_section redis;
  queue_section queue;
  console_section console;
  std::vector<sink_config> sinks;
  std::vector<channel_config> channels;
  log_section log;

  // Derived from server.listen by validation.
  std::string listen_host() const;
  uint16_t listen_port() const;
};

struct load_result {
  std::optional<herald_config> config;
  std::string error; // "<file>: <key path>: <problem>" when config is empty
};

// Reads `path` (or, when `path` is empty, the configuration embedded in the
// binary), applies environment overrides from `env` (name → value) and
// validates everything. Never throws.
load_result load(const std::string& path, const std::map<std::string, std::string>& env);

// load() with the process environment.
load_result load_from_process(const std::string& path);

// The effective configuration as JSON text (durations as strings, secrets redacted).
std::string to_json(const herald_config& cfg);

// The example configuration compiled into the binary (config/herald.toml).
const char* embedded_config_text();

} // namespace herald::config
