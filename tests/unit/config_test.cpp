#include "config/config.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace herald::config;

namespace {

// Writes `text` to a temporary file and loads it with `env`.
load_result load_text(const std::string& text, std::map<std::string, std::string> env = {}) {
  std::string path = "/tmp/herald_config_test_" + std::to_string(::getpid()) + ".toml";
  std::ofstream(path) << text;
  auto r = load(path, env);
  std::remove(path.c_str());
  return r;
}

const std::string secret = "[auth]\njwt_secret = \"k0123456789abcdef0123456789abcdef\"\n";

} // namespace

TEST_CASE("durations parse and print in their largest whole unit") {
  CHECK(parse_duration("500ms") == duration{500});
  CHECK(parse_duration("30s") == duration{30000});
  CHECK(parse_duration("5m") == duration{300000});
  CHECK(parse_duration("1h") == duration{3600000});
  CHECK_FALSE(parse_duration("30x"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("1.5s"));
  CHECK(format_duration(duration{300000}) == "5m");
  CHECK(format_duration(duration{1500}) == "1500ms");
  CHECK(format_duration(duration{86400000}) == "24h");
}

TEST_CASE("defaults are the contract's") {
  auto r = load_text(secret);
  REQUIRE(r.config);
  auto& c = *r.config;
  CHECK(c.server.listen == "127.0.0.1:8080");
  CHECK(c.server.threads == 0);
  CHECK(c.server.max_connections == 200000);
  CHECK(c.server.max_message_bytes == 65536);
  CHECK(c.server.shutdown_grace == duration{10000});
  CHECK(c.auth.required);
  CHECK(c.heartbeat.interval == duration{30000});
  CHECK(c.heartbeat.stale_after == duration{300000});
  CHECK(c.session.outbound_queue_max == 1024);
  CHECK(c.session.max_frames_per_sec == 100);
  CHECK(c.session.resume_window == duration{120000});
  CHECK(c.session.resume_buffer == 256);
  CHECK(c.delivery.inbox_max == 1000);
  CHECK(c.delivery.inbox_ttl == duration{86400000});
  CHECK(c.delivery.batches_in_flight == 16);
  CHECK(c.storage.backend == "sqlite");
  CHECK(c.storage.path == "data/herald.db");
  CHECK(c.redis.url == "redis://127.0.0.1:6379/0");
  CHECK(c.redis.key_prefix == "herald:");
  CHECK(c.queue.max_attempts == 3);
  CHECK(c.queue.base_delay == duration{1000});
  CHECK(c.queue.max_delay == duration{300000});
  CHECK(c.queue.visibility_timeout == duration{30000});
  CHECK(c.sinks.empty());
}

TEST_CASE("every kind of config error names the file, the key and the problem") {
  auto err = [](const std::string& text, std::map<std::string, std::string> env = {}) {
    auto r = load_text(text, env);
    CHECK_FALSE(r.config);
    return r.error;
  };
  CHECK(err(secret + "[heartbeat]\ninterval = \"30x\"\n")
            .find("heartbeat.interval: \"30x\" is not a duration") != std::string::npos);
  CHECK(err(secret + "[server]\nthreads = \"two\"\n")
            .find("server.threads: expected an integer, got a string") != std::string::npos);
  CHECK(err(secret + "[server]\nbogus = 1\n").find("server.bogus: unknown key") !=
        std::string::npos);
  CHECK(err(secret + "[nonsense]\na = 1\n").find("nonsense: unknown section") != std::string::npos);
  CHECK(err(secret + "[server]\nlisten = \"nope\"\n").find("server.listen") != std::string::npos);
  CHECK(err(secret + "[server]\nmax_connections = 0\n")
            .find("server.max_connections: 0 is out of range") != std::string::npos);
  CHECK(err(secret + "[delivery]\nbatches_in_flight = 0\n")
            .find("delivery.batches_in_flight: 0 is out of range") != std::string::npos);
  CHECK(err("[auth]\nrequired = true\n")
            .find("auth.jwt_secret: is empty while auth.required = true") != std::string::npos);
  CHECK(err(secret + "[storage]\nbackend = \"mongo\"\n").find("storage.backend") !=
        std::string::npos);
  CHECK(err(secret + "[[sinks]]\nname = \"a\"\nkind = \"fax\"\n").find("sinks[0].kind") !=
        std::string::npos);
  CHECK(err(secret + "[[sinks]]\nname = \"a\"\nkind = \"webhook\"\n").find("sinks[0].url") !=
        std::string::npos);
  CHECK(err(secret + "[[sinks]]\nname = \"a:b\"\nkind = \"webhook\"\nurl = \"http://x\"\n")
            .find("sinks[0].name") != std::string::npos);
  CHECK(err(secret + "[server\n").find("(syntax)") != std::string::npos);
  auto missing = load("/nonexistent/herald.toml", {});
  CHECK(missing.error == "/nonexistent/herald.toml: cannot read the file");
  CHECK(err(secret, {{"HERALD_HEARTBEAT_INTERVAL", "soon"}})
            .find("HERALD_HEARTBEAT_INTERVAL (environment): heartbeat.interval: \"soon\" is not a "
                  "duration") != std::string::npos);
  // Errors are one line.
  CHECK(err(secret + "[server\n").find('\n') == std::string::npos);
}

TEST_CASE("[[channels]] entries are read in order and checked") {
  auto ok = load_text(secret + "[[channels]]\nmatch = \"orders.*\"\nhistory_size = 100\n"
                               "history_ttl = \"10m\"\npresence = true\n"
                               "[[channels]]\nmatch = \"admin\"\njoin_leave = true\n");
  REQUIRE(ok.config);
  REQUIRE(ok.config->channels.size() == 2);
  CHECK(ok.config->channels[0].match == "orders.*");
  CHECK(ok.config->channels[0].history_size == 100);
  CHECK(ok.config->channels[0].presence);
  CHECK(ok.config->channels[1].join_leave);
  CHECK(ok.config->channels[1].history_size == 0);
  auto err = [](const std::string& text) {
    auto r = load_text(secret + text);
    CHECK_FALSE(r.config);
    return r.error;
  };
  CHECK(err("[[channels]]\nhistory_size = 5\n").find("channels[0].match: must be 1 to 200 bytes") !=
        std::string::npos);
  CHECK(err("[[channels]]\nmatch = \"a*b\"\n").find("channels[0].match") != std::string::npos);
  CHECK(err("[[channels]]\nmatch = \"a\"\nhistory_size = -1\n")
            .find("channels[0].history_size: -1 is out of range") != std::string::npos);
  CHECK(
      err("[[channels]]\nmatch = \"a\"\nhistory_ttl = \"0s\"\n").find("channels[0].history_ttl") !=
      std::string::npos);
  CHECK(err("[[channels]]\nmatch = \"a\"\nhistory_ttl = \"400h\"\n")
            .find("storage.history_meta_ttl") != std::string::npos);
  CHECK(err("[[channels]]\nmatch = \"a\"\ncolour = 1\n").find("channels[0].colour: unknown key") !=
        std::string::npos);
  CHECK(load_text("channels = 3\n" + secret).error.find("channels: expected an array of tables") !=
        std::string::npos);
  CHECK(err("[server]\nreconnect_spread = \"-1s\"\n").find("server.reconnect_spread") !=
        std::string::npos);
}

TEST_CASE("environment overrides every kind of key") {
  auto r = load_text(secret + "[[sinks]]\nname = \"telegram\"\nkind = \"telegram\"\n",
                     {{"HERALD_SERVER_LISTEN", "127.0.0.1:9000"},
                      {"HERALD_AUTH_JWT_SECRET", "from-env-0123456789abcdef0123456789abcdef"},
                      {"HERALD_AUTH_REQUIRED", "false"},
                      {"HERALD_AUTH_API_KEYS", "a,b"},
                      {"HERALD_SESSION_RESUME_BUFFER", "7"},
                      {"HERALD_HEARTBEAT_STALE_AFTER", "3s"},
                      {"HERALD_SINKS_TELEGRAM_TOKEN", "tok"}});
  REQUIRE(r.config);
  CHECK(r.config->server.listen == "127.0.0.1:9000");
  CHECK(r.config->listen_port() == 9000);
  CHECK(r.config->auth.jwt_secret == "from-env-0123456789abcdef0123456789abcdef");
  CHECK_FALSE(r.config->auth.required);
  CHECK(r.config->auth.api_keys == std::vector<std::string>{"a", "b"});
  CHECK(r.config->session.resume_buffer == 7);
  CHECK(r.config->heartbeat.stale_after == duration{3000});
  CHECK(r.config->sinks.at(0).token == "tok");
}

TEST_CASE("the effective config prints as JSON with durations as strings and secrets hidden") {
  auto r = load_text(
      secret + "[[sinks]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:1/h\"\n");
  REQUIRE(r.config);
  auto j = nlohmann::json::parse(to_json(*r.config));
  CHECK(j["heartbeat"]["stale_after"] == "5m");
  CHECK(j["server"]["shutdown_grace"] == "10s");
  CHECK(j["auth"]["jwt_secret"] == "<redacted>");
  CHECK(j["sinks"][0]["name"] == "hook");
  CHECK(j["sinks"][0]["rate_per_sec"] == 10);
  CHECK(j["sinks"][0]["breaker_cooldown"] == "30s");
}

TEST_CASE("the embedded config is valid once a secret is given") {
  auto r = load("", {{"HERALD_AUTH_JWT_SECRET", "x0123456789abcdef0123456789abcdef"}});
  REQUIRE(r.config);
  CHECK(r.config->storage.backend == "sqlite");
  auto without = load("", {});
  CHECK(without.error.find("<embedded config>: auth.jwt_secret") == 0);
}

TEST_CASE("errors never show a secret's value") {
  auto r = load_text("[auth]\njwt_secret = \"supersecretvalue0123456789abcdefgh\n");
  REQUIRE_FALSE(r.config);
  CHECK(r.error.find("supersecret") == std::string::npos);
  CHECK(r.error.find("(line 2)") != std::string::npos);
  auto env = load_text(secret, {{"HERALD_AUTH_API_KEYS", "[\"topsecret-key\""}});
  REQUIRE_FALSE(env.config);
  CHECK(env.error.find("auth.api_keys") != std::string::npos);
  CHECK(env.error.find("topsecret") == std::string::npos);
  auto tls = load_text(secret + "[[sinks]]\nname = \"s\"\nkind = \"webhook\"\nurl = 5\n");
  REQUIRE_FALSE(tls.config);
  CHECK(tls.error.find("sinks[0].url") != std::string::npos);
}

TEST_CASE("a config file that is not UTF-8 is a syntax error, before toml11 sees it") {
  // The input fuzz_config found: toml11 3.7 read past its buffer on it.
  auto r = load_text("'v\xc4siimeo'v\xc4siimeu\x8dza\n]s");
  REQUIRE_FALSE(r.config);
  CHECK(r.error.find("not UTF-8 (line 1)") != std::string::npos);
}
