#include "config/config.hpp"
#include "config/log.hpp"
#include "config/text.hpp"

#include <nlohmann/json.hpp>
#include <toml.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <variant>

extern char** environ;

namespace herald::config {

namespace {

// ---- schema: one table drives parsing, env overrides and JSON output --------

using string_map = std::map<std::string, std::string>;
using field_ptr =
    std::variant<std::string*, int64_t*, bool*, duration*, std::vector<std::string>*, string_map*>;

struct field {
  const char* key;
  field_ptr ptr;
  bool secret = false;
};

struct section {
  const char* name;
  std::vector<field> fields;
};

std::vector<section> schema(herald_config& c) {
  return {
      {"server",
       {{"listen", &c.server.listen},
        {"threads", &c.server.threads},
        {"max_connections", &c.server.max_connections},
        {"max_message_bytes", &c.server.max_message_bytes},
        {"shutdown_grace", &c.server.shutdown_grace},
        {"max_body_bytes", &c.server.max_body_bytes},
        {"max_header_bytes", &c.server.max_header_bytes},
        {"close_timeout", &c.server.close_timeout},
        {"http_idle_timeout", &c.server.http_idle_timeout},
        {"max_json_depth", &c.server.max_json_depth},
        {"max_pending", &c.server.max_pending},
        {"request_timeout", &c.server.request_timeout},
        {"max_connections_per_ip", &c.server.max_connections_per_ip},
        {"allowed_origins", &c.server.allowed_origins},
        {"reconnect_spread", &c.server.reconnect_spread}}},
      {"auth",
       {{"jwt_secret", &c.auth.jwt_secret, true},
        {"required", &c.auth.required},
        {"api_keys", &c.auth.api_keys, true},
        {"leeway", &c.auth.leeway},
        {"public_key_file", &c.auth.public_key_file},
        {"jwks_url", &c.auth.jwks_url},
        {"jwks_refresh", &c.auth.jwks_refresh},
        {"jwks_timeout", &c.auth.jwks_timeout},
        {"first_frame_timeout", &c.auth.first_frame_timeout},
        {"refresh_ahead", &c.auth.refresh_ahead}}},
      {"heartbeat",
       {{"interval", &c.heartbeat.interval}, {"stale_after", &c.heartbeat.stale_after}}},
      {"session",
       {{"outbound_queue_max", &c.session.outbound_queue_max},
        {"max_frames_per_sec", &c.session.max_frames_per_sec},
        {"rate_limit_close_after", &c.session.rate_limit_close_after},
        {"resume_window", &c.session.resume_window},
        {"resume_buffer", &c.session.resume_buffer},
        {"max_channels", &c.session.max_channels},
        {"max_per_user", &c.session.max_per_user}}},
      {"presence", {{"retain", &c.presence.retain}, {"max_users", &c.presence.max_users}}},
      {"console", {{"scan_sessions", &c.console.scan_sessions}}},
      {"delivery",
       {{"inbox_max", &c.delivery.inbox_max},
        {"inbox_ttl", &c.delivery.inbox_ttl},
        {"ack_required", &c.delivery.ack_required},
        {"batches_in_flight", &c.delivery.batches_in_flight},
        {"publish_backlog_max", &c.delivery.publish_backlog_max},
        {"idempotency_window", &c.delivery.idempotency_window},
        {"batch_max", &c.delivery.batch_max},
        {"receipts", &c.delivery.receipts}}},
      {"storage",
       {{"backend", &c.storage.backend},
        {"path", &c.storage.path},
        {"queue_max", &c.storage.queue_max},
        {"history_meta_ttl", &c.storage.history_meta_ttl}}},
      {"redis",
       {{"url", &c.redis.url, true},
        {"connect_timeout", &c.redis.connect_timeout},
        {"command_timeout", &c.redis.command_timeout},
        {"key_prefix", &c.redis.key_prefix},
        {"node_id", &c.redis.node_id},
        {"node_ttl", &c.redis.node_ttl},
        {"health_interval", &c.redis.health_interval},
        {"queue_max", &c.redis.queue_max},
        {"max_reply_elements", &c.redis.max_reply_elements}}},
      {"queue",
       {{"max_attempts", &c.queue.max_attempts},
        {"base_delay", &c.queue.base_delay},
        {"max_delay", &c.queue.max_delay},
        {"visibility_timeout", &c.queue.visibility_timeout},
        {"dlq_max", &c.queue.dlq_max},
        {"restart_intensity", &c.queue.restart_intensity},
        {"restart_period", &c.queue.restart_period},
        {"poll_interval", &c.queue.poll_interval},
        {"dedupe_max_age", &c.queue.dedupe_max_age},
        {"sink_idle_connections", &c.queue.sink_idle_connections},
        {"sink_idle_timeout", &c.queue.sink_idle_timeout}}},
      {"log", {{"level", &c.log.level}}},
  };
}

std::vector<field> sink_fields(sink_config& s) {
  return {{"name", &s.name},
          {"kind", &s.kind},
          {"url", &s.url, true}, // Slack-style URLs carry a token
          {"base_url", &s.base_url},
          {"token", &s.token, true},
          {"rate_per_sec", &s.rate_per_sec},
          {"timeout", &s.timeout},
          {"breaker_failures", &s.breaker_failures},
          {"breaker_cooldown", &s.breaker_cooldown},
          {"require_opt_in", &s.require_opt_in},
          {"secret", &s.secret, true},
          {"headers", &s.headers, true}, // may carry credentials
          {"vapid_private_key_file", &s.vapid_private_key_file},
          {"vapid_subject", &s.vapid_subject},
          {"push_ttl", &s.push_ttl}};
}

std::vector<field> channel_fields(channel_config& ch) {
  return {{"match", &ch.match},
          {"history_size", &ch.history_size},
          {"history_ttl", &ch.history_ttl},
          {"presence", &ch.presence},
          {"join_leave", &ch.join_leave}};
}

struct config_error {
  std::string key;
  std::string problem;
};

std::string quoted(const std::string& s) {
  return json_text(nlohmann::json(s));
}

// ---- TOML values → fields ---------------------------------------------------

const char* toml_type_name(const toml::value& v) {
  if (v.is_string())
    return "a string";
  if (v.is_integer())
    return "an integer";
  if (v.is_floating())
    return "a float";
  if (v.is_boolean())
    return "a boolean";
  if (v.is_array())
    return "an array";
  if (v.is_table())
    return "a table";
  return "a date or time";
}

std::optional<std::string> assign_toml(const field& f, const toml::value& v) {
  struct visitor {
    const toml::value& v;
    std::optional<std::string> operator()(std::string* p) const {
      if (!v.is_string())
        return std::string("expected a string, got ") + toml_type_name(v);
      *p = v.as_string().str;
      return std::nullopt;
    }
    std::optional<std::string> operator()(int64_t* p) const {
      if (!v.is_integer())
        return std::string("expected an integer, got ") + toml_type_name(v);
      *p = v.as_integer();
      return std::nullopt;
    }
    std::optional<std::string> operator()(bool* p) const {
      if (!v.is_boolean())
        return std::string("expected true or false, got ") + toml_type_name(v);
      *p = v.as_boolean();
      return std::nullopt;
    }
    std::optional<std::string> operator()(duration* p) const {
      if (!v.is_string())
        return std::string("expected a duration string such as \"30s\", got ") + toml_type_name(v);
      auto d = parse_duration(v.as_string().str);
      if (!d)
        return quoted(v.as_string().str) + " is not a duration";
      *p = *d;
      return std::nullopt;
    }
    std::optional<std::string> operator()(std::vector<std::string>* p) const {
      if (!v.is_array())
        return std::string("expected an array of strings, got ") + toml_type_name(v);
      std::vector<std::string> out;
      for (auto& item : v.as_array()) {
        if (!item.is_string())
          return "expected an array of strings";
        out.push_back(item.as_string().str);
      }
      *p = std::move(out);
      return std::nullopt;
    }
    std::optional<std::string> operator()(string_map* p) const {
      if (!v.is_table())
        return std::string("expected a table of strings such as {X-Team = \"ops\"}, got ") +
               toml_type_name(v);
      string_map out;
      for (auto& [k, item] : v.as_table()) {
        if (!item.is_string())
          return "expected a table of strings";
        out[k] = item.as_string().str;
      }
      *p = std::move(out);
      return std::nullopt;
    }
  };
  return std::visit(visitor{v}, f.ptr);
}

// ---- environment strings → fields -------------------------------------------

std::optional<std::string> assign_text(const field& f, const std::string& text) {
  struct visitor {
    const std::string& t;
    std::optional<std::string> operator()(std::string* p) const {
      *p = t;
      return std::nullopt;
    }
    std::optional<std::string> operator()(int64_t* p) const {
      char* end = nullptr;
      errno = 0;
      long long n = std::strtoll(t.c_str(), &end, 10);
      if (t.empty() || *end != '\0' || errno != 0)
        return quoted(t) + " is not an integer";
      *p = n;
      return std::nullopt;
    }
    std::optional<std::string> operator()(bool* p) const {
      if (t == "true" || t == "1")
        *p = true;
      else if (t == "false" || t == "0")
        *p = false;
      else
        return quoted(t) + " is not true or false";
      return std::nullopt;
    }
    std::optional<std::string> operator()(duration* p) const {
      auto d = parse_duration(t);
      if (!d)
        return quoted(t) + " is not a duration";
      *p = *d;
      return std::nullopt;
    }
    std::optional<std::string> operator()(std::vector<std::string>* p) const {
      // A JSON array, or a comma-separated list.
      std::vector<std::string> out;
      if (!t.empty() && t.front() == '[') {
        auto j = parse_json(t);
        if (!j.is_array())
          return quoted(t) + " is not a JSON array of strings";
        for (auto& item : j) {
          if (!item.is_string())
            return quoted(t) + " is not a JSON array of strings";
          out.push_back(item.get<std::string>());
        }
      } else {
        std::stringstream ss(t);
        std::string item;
        while (std::getline(ss, item, ','))
          if (!item.empty())
            out.push_back(item);
      }
      *p = std::move(out);
      return std::nullopt;
    }
    std::optional<std::string> operator()(string_map* p) const {
      auto j = parse_json(t);
      if (!j.is_object())
        return quoted(t) + " is not a JSON object of strings";
      string_map out;
      for (auto& [k, item] : j.items()) {
        if (!item.is_string())
          return quoted(t) + " is not a JSON object of strings";
        out[k] = item.get<std::string>();
      }
      *p = std::move(out);
      return std::nullopt;
    }
  };
  return std::visit(visitor{text}, f.ptr);
}

std::string env_name(std::string a, const std::string& b) {
  std::string s = "HERALD_" + a + "_" + b;
  for (auto& ch : s) {
    if (ch == '.' || ch == '-')
      ch = '_';
    else
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return s;
}

// ---- TOML document → config ---------------------------------------------------

// toml11 quotes the offending line, which may be a secret's: keep its message
// and the line number only, on one line (the contract wants one).
std::string syntax_error_without_text(const std::string& what) {
  std::string message = what.substr(0, what.find('\n'));
  std::string line;
  for (size_t at = what.find('\n'); at != std::string::npos; at = what.find('\n', at + 1)) {
    auto rest = what.substr(at + 1, what.find('\n', at + 1) - at - 1);
    auto bar = rest.find(" | ");
    auto digits = rest.substr(0, bar);
    if (bar != std::string::npos && digits.find_first_not_of(' ') != std::string::npos &&
        digits.find_first_not_of(" 0123456789") == std::string::npos) {
      line = digits.substr(digits.find_first_not_of(' '));
      break;
    }
  }
  return line.empty() ? message : message + " (line " + line + ")";
}

// A secret's value never appears in an error about it.
std::string problem_with(const field& f, const std::string& problem) {
  return f.secret ? "has the wrong form (the value is a secret and is not shown)" : problem;
}

std::optional<config_error> apply_fields(const std::string& prefix, std::vector<field>& fields,
                                         const toml::table& table) {
  for (auto& [key, value] : table) {
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&key = key](const field& f) { return key == f.key; });
    if (it == fields.end())
      return config_error{prefix + key, "unknown key"};
    if (auto problem = assign_toml(*it, value))
      return config_error{prefix + key, problem_with(*it, *problem)};
  }
  return std::nullopt;
}

// [[name]]: an array of tables, each read with the fields `fields_of` gives.
template <class T, class Fields>
std::optional<config_error> apply_table_array(const std::string& name, const toml::value& value,
                                              std::vector<T>& into, Fields fields_of) {
  if (!value.is_array())
    return config_error{name, "expected an array of tables ([[" + name + "]])"};
  size_t index = 0;
  for (auto& entry : value.as_array()) {
    std::string prefix = name + "[" + std::to_string(index++) + "].";
    if (!entry.is_table())
      return config_error{prefix.substr(0, prefix.size() - 1), "expected a table"};
    T item;
    auto fields = fields_of(item);
    if (auto err = apply_fields(prefix, fields, entry.as_table()))
      return err;
    into.push_back(std::move(item));
  }
  return std::nullopt;
}

std::optional<config_error> apply_document(herald_config& cfg, const toml::value& doc) {
  auto sections = schema(cfg);
  for (auto& [name, value] : doc.as_table()) {
    if (name == "sinks") {
      if (auto err = apply_table_array(name, value, cfg.sinks, sink_fields))
        return err;
      continue;
    }
    if (name == "channels") {
      if (auto err = apply_table_array(name, value, cfg.channels, channel_fields))
        return err;
      continue;
    }
    auto it = std::find_if(sections.begin(), sections.end(),
                           [&name = name](const section& s) { return name == s.name; });
    if (it == sections.end())
      return config_error{name, "unknown section"};
    if (!value.is_table())
      return config_error{name, "expected a table"};
    if (auto err = apply_fields(name + ".", it->fields, value.as_table()))
      return err;
  }
  return std::nullopt;
}

std::optional<config_error>
apply_env(herald_config& cfg, const std::map<std::string, std::string>& env, std::string& source) {
  auto sections = schema(cfg);
  for (auto& s : sections) {
    for (auto& f : s.fields) {
      auto name = env_name(s.name, f.key);
      auto it = env.find(name);
      if (it == env.end())
        continue;
      if (auto problem = assign_text(f, it->second)) {
        source = name + " (environment)";
        return config_error{std::string(s.name) + "." + f.key, problem_with(f, *problem)};
      }
    }
  }
  for (auto& sink : cfg.sinks) {
    auto fields = sink_fields(sink);
    for (auto& f : fields) {
      if (std::string(f.key) == "name")
        continue;
      auto name = env_name("SINKS_" + sink.name, f.key);
      auto it = env.find(name);
      if (it == env.end())
        continue;
      if (auto problem = assign_text(f, it->second)) {
        source = name + " (environment)";
        return config_error{"sinks." + sink.name + "." + f.key, problem_with(f, *problem)};
      }
    }
  }
  return std::nullopt;
}

// ---- validation ---------------------------------------------------------------

bool split_listen(const std::string& listen, std::string& host, long& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto digits = listen.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  port = std::stol(digits);
  return port <= 65535;
}

// A header name is an RFC 9110 token; a value has no line break. The
// Standard Webhooks secret's key is 24 to 64 bytes.
std::optional<config_error> validate_webhook_extras(const sink_config& s, const std::string& p) {
  if (!s.secret.empty()) {
    if (s.kind != "webhook")
      return config_error{p + "secret", "signs webhook sinks only"};
    auto key = s.secret.rfind("whsec_", 0) == 0 ? base64_decode(s.secret.substr(6)) : std::string();
    if (key.size() < 24 || key.size() > 64)
      return config_error{p + "secret", "must be \"whsec_\" and the base64 of a 24 to 64 byte key"};
  }
  constexpr std::string_view token_chars = "!#$%&'*+-.^_`|~0123456789"
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (auto& [name, value] : s.headers) {
    if (s.kind != "webhook")
      return config_error{p + "headers", "are for webhook sinks only"};
    if (name.empty() || name.size() > 100 ||
        name.find_first_not_of(token_chars) != std::string::npos)
      return config_error{p + "headers", quoted(name) + " is not a header name"};
    if (value.size() > 4096 || value.find_first_of("\r\n") != std::string::npos ||
        !valid_utf8(value))
      return config_error{p + "headers", "the value of " + quoted(name) +
                                             " must be one line of at most 4096 bytes"};
    auto lower = name;
    for (auto& ch : lower)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "content-length" || lower == "host" || lower == "connection" ||
        lower.rfind("webhook-", 0) == 0)
      return config_error{p + "headers", quoted(name) + " is set by Herald"};
  }
  return std::nullopt;
}

std::optional<config_error> check_range(const char* key, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    return config_error{key, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                                 std::to_string(hi) + "]"};
  return std::nullopt;
}

std::optional<config_error> check_positive(const char* key, duration d) {
  if (d.count() <= 0)
    return config_error{key, "must be greater than 0"};
  return std::nullopt;
}

std::optional<config_error> validate_channels(const herald_config& c) {
  for (size_t i = 0; i < c.channels.size(); ++i) {
    auto& ch = c.channels[i];
    std::string p = "channels[" + std::to_string(i) + "].";
    auto star = ch.match.find('*');
    if (ch.match.empty() || ch.match.size() > 200)
      return config_error{p + "match", "must be 1 to 200 bytes"};
    if (star != std::string::npos && star != ch.match.size() - 1)
      return config_error{p + "match", quoted(ch.match) + ": * may only end a prefix"};
    if (ch.history_size < 0 || ch.history_size > 1'000'000)
      return config_error{p + "history_size",
                          std::to_string(ch.history_size) + " is out of range [0, 1000000]"};
    if (ch.history_ttl.count() <= 0)
      return config_error{p + "history_ttl", "must be greater than 0"};
    if (ch.history_ttl > c.storage.history_meta_ttl)
      return config_error{p + "history_ttl", "must not be longer than storage.history_meta_ttl"};
  }
  return std::nullopt;
}

std::optional<config_error> validate(const herald_config& c) {
  std::string host;
  long port = 0;
  if (!split_listen(c.server.listen, host, port))
    return config_error{"server.listen", quoted(c.server.listen) + " is not host:port"};
  if (auto err = check_range("server.threads", c.server.threads, 0, 256))
    return err;
  if (auto err = check_range("server.max_connections", c.server.max_connections, 1, 10'000'000))
    return err;
  if (auto err = check_range("server.max_message_bytes", c.server.max_message_bytes, 128, 64 << 20))
    return err;
  if (auto err = check_range("server.max_body_bytes", c.server.max_body_bytes, 128, 256 << 20))
    return err;
  if (auto err = check_range("server.max_header_bytes", c.server.max_header_bytes, 1024, 1 << 20))
    return err;
  if (auto err = check_positive("server.shutdown_grace", c.server.shutdown_grace))
    return err;
  if (c.server.reconnect_spread.count() < 0)
    return config_error{"server.reconnect_spread", "must not be negative"};
  if (auto err = check_positive("storage.history_meta_ttl", c.storage.history_meta_ttl))
    return err;
  if (auto err = check_positive("server.close_timeout", c.server.close_timeout))
    return err;
  if (auto err = check_positive("server.http_idle_timeout", c.server.http_idle_timeout))
    return err;
  if (auto err = check_range("server.max_json_depth", c.server.max_json_depth, 2, 10'000))
    return err;
  if (auto err = check_range("server.max_pending", c.server.max_pending, 1, 10'000'000))
    return err;
  if (auto err = check_positive("server.request_timeout", c.server.request_timeout))
    return err;
  if (auto err = check_range("server.max_connections_per_ip", c.server.max_connections_per_ip, 0,
                             10'000'000))
    return err;
  for (auto& o : c.server.allowed_origins)
    if (o.empty() || o.size() > 255 || !valid_utf8(o) ||
        o.find_first_of(" \t\r\n,") != std::string::npos)
      return config_error{"server.allowed_origins",
                          "each entry is an origin such as \"https://app.example.com\""};
  if (c.auth.required && c.auth.jwt_secret.empty() && c.auth.public_key_file.empty() &&
      c.auth.jwks_url.empty())
    return config_error{"auth.jwt_secret",
                        "is empty while auth.required = true and neither auth.public_key_file "
                        "nor auth.jwks_url is set (set one, or HERALD_AUTH_JWT_SECRET)"};
  if (!c.auth.public_key_file.empty()) {
    std::ifstream pem(c.auth.public_key_file);
    if (!pem)
      return config_error{"auth.public_key_file",
                          "cannot be read: " + quoted(c.auth.public_key_file)};
  }
  if (!c.auth.jwks_url.empty() && c.auth.jwks_url.rfind("http://", 0) != 0 &&
      c.auth.jwks_url.rfind("https://", 0) != 0)
    return config_error{"auth.jwks_url", "must be an http:// or https:// URL"};
  if (auto err = check_positive("auth.jwks_refresh", c.auth.jwks_refresh))
    return err;
  if (auto err = check_positive("auth.jwks_timeout", c.auth.jwks_timeout))
    return err;
  if (auto err = check_positive("auth.first_frame_timeout", c.auth.first_frame_timeout))
    return err;
  if (c.auth.refresh_ahead.count() < 0)
    return config_error{"auth.refresh_ahead", "must not be negative"};
  if (!c.auth.jwt_secret.empty() && c.auth.jwt_secret.size() < 32)
    return config_error{
        "auth.jwt_secret",
        "is shorter than 32 bytes: an HS256 secret that short can be guessed offline"};
  if (c.auth.leeway.count() < 0 || c.auth.leeway > std::chrono::hours(1))
    return config_error{"auth.leeway", "must be between 0s and 1h"};
  for (auto& k : c.auth.api_keys)
    if (k.empty())
      return config_error{"auth.api_keys", "contains an empty key"};
  if (auto err = check_positive("heartbeat.interval", c.heartbeat.interval))
    return err;
  if (auto err = check_positive("heartbeat.stale_after", c.heartbeat.stale_after))
    return err;
  if (auto err =
          check_range("session.outbound_queue_max", c.session.outbound_queue_max, 1, 1'000'000))
    return err;
  if (auto err =
          check_range("session.max_frames_per_sec", c.session.max_frames_per_sec, 1, 1'000'000))
    return err;
  if (auto err = check_positive("session.rate_limit_close_after", c.session.rate_limit_close_after))
    return err;
  if (auto err = check_range("session.resume_buffer", c.session.resume_buffer, 0, 1'000'000))
    return err;
  if (auto err = check_range("session.max_channels", c.session.max_channels, 1, 100'000))
    return err;
  if (auto err = check_range("session.max_per_user", c.session.max_per_user, 1, 1'000'000))
    return err;
  if (c.session.resume_window.count() < 0)
    return config_error{"session.resume_window", "must not be negative"};
  if (auto err = check_positive("presence.retain", c.presence.retain))
    return err;
  if (auto err = check_range("presence.max_users", c.presence.max_users, 1, 100'000'000))
    return err;
  if (auto err = check_range("console.scan_sessions", c.console.scan_sessions, 1, 10'000'000))
    return err;
  if (auto err = check_range("delivery.inbox_max", c.delivery.inbox_max, 1, 10'000'000))
    return err;
  if (auto err = check_positive("delivery.inbox_ttl", c.delivery.inbox_ttl))
    return err;
  if (auto err = check_positive("delivery.idempotency_window", c.delivery.idempotency_window))
    return err;
  if (auto err = check_positive("queue.dedupe_max_age", c.queue.dedupe_max_age))
    return err;
  if (auto err = check_range("delivery.batch_max", c.delivery.batch_max, 1, 100000))
    return err;
  if (auto err = check_range("delivery.batches_in_flight", c.delivery.batches_in_flight, 1, 1000))
    return err;
  if (auto err = check_range("delivery.publish_backlog_max", c.delivery.publish_backlog_max, 1,
                             100'000'000))
    return err;
  static const std::set<std::string> backends{"sqlite", "redis", "memory"};
  if (!backends.count(c.storage.backend))
    return config_error{"storage.backend", quoted(c.storage.backend) +
                                               " is not one of \"sqlite\", \"redis\", \"memory\""};
  if (auto err = check_range("storage.queue_max", c.storage.queue_max, 1, 10'000'000))
    return err;
  if (c.storage.backend == "sqlite" && c.storage.path.empty())
    return config_error{"storage.path", "is empty while storage.backend = \"sqlite\""};
  if (c.redis.url.rfind("redis://", 0) != 0)
    return config_error{"redis.url", "must start with redis://"};
  if (auto err = check_positive("redis.connect_timeout", c.redis.connect_timeout))
    return err;
  if (auto err = check_positive("redis.command_timeout", c.redis.command_timeout))
    return err;
  if (auto err = check_positive("redis.health_interval", c.redis.health_interval))
    return err;
  if (auto err = check_range("redis.queue_max", c.redis.queue_max, 1, 10'000'000))
    return err;
  if (auto err =
          check_range("redis.max_reply_elements", c.redis.max_reply_elements, 1024, 100'000'000))
    return err;
  if (c.redis.node_ttl < std::chrono::seconds(1))
    return config_error{"redis.node_ttl", "must be at least 1s"};
  if (c.redis.node_id.size() > 64 ||
      c.redis.node_id.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != std::string::npos)
    return config_error{"redis.node_id", "is at most 64 letters, digits, '-', '_' or '.'"};
  if (auto err = check_range("queue.max_attempts", c.queue.max_attempts, 1, 1000))
    return err;
  if (auto err = check_positive("queue.base_delay", c.queue.base_delay))
    return err;
  if (c.queue.max_delay < c.queue.base_delay)
    return config_error{"queue.max_delay", "must not be less than queue.base_delay"};
  if (auto err = check_positive("queue.visibility_timeout", c.queue.visibility_timeout))
    return err;
  if (auto err = check_range("queue.dlq_max", c.queue.dlq_max, 1, 100'000'000))
    return err;
  if (auto err = check_range("queue.restart_intensity", c.queue.restart_intensity, 0, 1000))
    return err;
  if (auto err = check_positive("queue.restart_period", c.queue.restart_period))
    return err;
  if (auto err = check_positive("queue.poll_interval", c.queue.poll_interval))
    return err;
  if (auto err = check_range("queue.sink_idle_connections", c.queue.sink_idle_connections, 0, 4096))
    return err;
  if (auto err = check_positive("queue.sink_idle_timeout", c.queue.sink_idle_timeout))
    return err;
  std::set<std::string> names;
  for (size_t i = 0; i < c.sinks.size(); ++i) {
    auto& s = c.sinks[i];
    std::string p = "sinks[" + std::to_string(i) + "].";
    if (s.name.empty())
      return config_error{p + "name", "is required"};
    if (!names.insert(s.name).second)
      return config_error{p + "name", quoted(s.name) + " is used twice"};
    // It names keys in the store and labels in /metrics.
    if (s.name.size() > 64 ||
        s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789_.-") != std::string::npos)
      return config_error{p + "name", quoted(s.name) + " must be 1 to 64 of A-Z a-z 0-9 _ . -"};
    if (s.kind != "webhook" && s.kind != "telegram" && s.kind != "webpush")
      return config_error{p + "kind",
                          quoted(s.kind) + " is not \"webhook\", \"telegram\" or \"webpush\""};
    if (s.kind == "webpush") {
      if (s.vapid_private_key_file.empty())
        return config_error{p + "vapid_private_key_file",
                            "a webpush sink needs its VAPID key (a PEM EC P-256 private key)"};
      if (s.vapid_subject.rfind("mailto:", 0) != 0 && s.vapid_subject.rfind("https://", 0) != 0)
        return config_error{p + "vapid_subject",
                            "must be a \"mailto:\" or \"https://\" contact for the push service"};
      if (s.push_ttl.count() < 0 || s.push_ttl > std::chrono::hours(24 * 28))
        return config_error{p + "push_ttl", "must be between 0 and 28 days"};
    }
    if (s.kind == "webhook" && s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
      return config_error{p + "url", "a webhook sink needs an http:// or https:// url"};
    if (s.kind == "telegram" && s.base_url.rfind("http://", 0) != 0 &&
        s.base_url.rfind("https://", 0) != 0)
      return config_error{p + "base_url", "must be an http:// or https:// url"};
    if (s.rate_per_sec < 1 || s.rate_per_sec > 1'000'000)
      return config_error{p + "rate_per_sec",
                          std::to_string(s.rate_per_sec) + " is out of range [1, 1000000]"};
    if (s.timeout.count() <= 0)
      return config_error{p + "timeout", "must be greater than 0"};
    if (s.breaker_failures < 1)
      return config_error{p + "breaker_failures", "must be at least 1"};
    if (s.breaker_cooldown.count() <= 0)
      return config_error{p + "breaker_cooldown", "must be greater than 0"};
    if (auto err = validate_webhook_extras(s, p))
      return err;
  }
  if (auto err = validate_channels(c))
    return err;
  log::level lv;
  if (!log::parse_level(c.log.level, lv))
    return config_error{"log.level", quoted(c.log.level) + " is not debug, info, warn or error"};
  return std::nullopt;
}

} // namespace

std::string herald_config::listen_host() const {
  std::string host;
  long port = 0;
  split_listen(server.listen, host, port);
  return host;
}

uint16_t herald_config::listen_port() const {
  std::string host;
  long port = 0;
  split_listen(server.listen, host, port);
  return static_cast<uint16_t>(port);
}

load_result load(const std::string& path, const std::map<std::string, std::string>& env) {
  std::string source = path.empty() ? "<embedded config>" : path;
  std::string text;
  if (path.empty()) {
    text = embedded_config_text();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return {std::nullopt, path + ": cannot read the file"};
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  // TOML is UTF-8. Checked here because toml11 3.7 reads past its buffer
  // while reporting bad UTF-8 inside a literal string (found by fuzz_config).
  if (!valid_utf8(text)) {
    auto bad = utf8_valid_prefix(text).size();
    auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
    return {std::nullopt,
            source + ": (syntax): the file is not UTF-8 (line " + std::to_string(line) + ")"};
  }
  herald_config cfg;
  try {
    std::istringstream in(text);
    auto doc = toml::parse(in, source);
    if (auto err = apply_document(cfg, doc))
      return {std::nullopt, source + ": " + err->key + ": " + err->problem};
  } catch (const std::exception& e) {
    return {std::nullopt, source + ": (syntax): " + syntax_error_without_text(e.what())};
  }
  if (auto err = apply_env(cfg, env, source))
    return {std::nullopt, source + ": " + err->key + ": " + err->problem};
  if (auto err = validate(cfg))
    return {std::nullopt, source + ": " + err->key + ": " + err->problem};
  return {std::move(cfg), {}};
}

load_result load_from_process(const std::string& path) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    if (entry.rfind("HERALD_", 0) != 0)
      continue;
    auto eq = entry.find('=');
    if (eq != std::string::npos)
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return load(path, env);
}

namespace {

nlohmann::json field_json(const field& f) {
  struct visitor {
    bool secret;
    nlohmann::json operator()(std::string* p) const {
      return secret && !p->empty() ? nlohmann::json("<redacted>") : nlohmann::json(*p);
    }
    nlohmann::json operator()(int64_t* p) const { return *p; }
    nlohmann::json operator()(bool* p) const { return *p; }
    nlohmann::json operator()(duration* p) const { return format_duration(*p); }
    nlohmann::json operator()(std::vector<std::string>* p) const {
      auto out = nlohmann::json::array();
      for (auto& s : *p)
        out.push_back(secret ? "<redacted>" : s);
      return out;
    }
    nlohmann::json operator()(string_map* p) const {
      auto out = nlohmann::json::object();
      for (auto& [k, v] : *p)
        out[k] = secret ? "<redacted>" : v;
      return out;
    }
  };
  return std::visit(visitor{f.secret}, f.ptr);
}

} // namespace

std::string to_json(const herald_config& cfg) {
  herald_config copy = cfg;
  nlohmann::json out = nlohmann::json::object();
  for (auto& s : schema(copy)) {
    auto& obj = out[s.name] = nlohmann::json::object();
    for (auto& f : s.fields)
      obj[f.key] = field_json(f);
  }
  out["sinks"] = nlohmann::json::array();
  for (auto& sink : copy.sinks) {
    nlohmann::json obj = nlohmann::json::object();
    for (auto& f : sink_fields(sink))
      obj[f.key] = field_json(f);
    out["sinks"].push_back(obj);
  }
  out["channels"] = nlohmann::json::array();
  for (auto& ch : copy.channels) {
    nlohmann::json obj = nlohmann::json::object();
    for (auto& f : channel_fields(ch))
      obj[f.key] = field_json(f);
    out["channels"].push_back(obj);
  }
  return json_text(out, 2);
}

} // namespace herald::config
