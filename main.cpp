// herald: wiring only. Read config → actor system → registry → network →
// wait for SIGTERM/SIGINT → shut down in reverse order.
#include "actors/event.hpp"
#include "actors/registry_client.hpp"
#include "config/config.hpp"
#include "config/log.hpp"
#include "config/text.hpp"
#include "gentoken.hpp"
#include "net/http_client.hpp"
#include "net/monitor_feed.hpp"
#include "net/node_reporter.hpp"
#include "net/server.hpp"
#include "net/token_verifier.hpp"
#include "persistence/cluster_link.hpp"
#include "persistence/memory_store.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/redis_manager.hpp"
#include "persistence/redis_store.hpp"
#include "persistence/sqlite_store.hpp"
#include "persistence/store_worker.hpp"
#include "runtime/asio_coordinator.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace {

constexpr const char* default_config_path = "config/herald.toml";

void usage(std::ostream& out) {
  out << "usage: herald [--config FILE]     run (default: " << default_config_path
      << ", or the embedded config when that file does not exist)\n"
         "       herald --check-config FILE run every start-up check, print the effective config "
         "as JSON\n"
         "       herald gentoken --user USER [--channels a,b] [--ttl 1h] [--config FILE]\n"
         "                                  print a client token signed with auth.jwt_secret\n"
         "       herald --version\n";
}

// Start-up checks beyond the config's own validation.
std::string startup_problem(const herald::config::herald_config& cfg, const std::string& source) {
  std::string why;
  if (cfg.storage.backend == "redis" &&
      !herald::persistence::redis_endpoint::parse(cfg.redis.url, why))
    return source + ": redis.url: " + why;
  return {};
}

herald::persistence::inbox_limits inbox_limits_from(const herald::config::herald_config& c) {
  return {static_cast<uint64_t>(c.delivery.inbox_max), c.delivery.inbox_ttl};
}

// Redis, when the backend is "redis": one manager (two connections) for
// the whole process, and this node's link to the others.
struct redis_parts {
  std::shared_ptr<herald::persistence::redis_manager> manager;
  std::shared_ptr<herald::persistence::cluster_link> cluster;
};

redis_parts open_redis(const herald::config::herald_config& cfg) {
  using namespace herald::persistence;
  if (cfg.storage.backend != "redis")
    return {};
  std::string why;
  auto endpoint = redis_endpoint::parse(cfg.redis.url, why);
  if (!endpoint) // startup_problem refused it already
    return {};
  redis_options o;
  o.endpoint = *endpoint;
  o.connect_timeout = cfg.redis.connect_timeout;
  o.command_timeout = cfg.redis.command_timeout;
  o.health_interval = cfg.redis.health_interval;
  o.queue_max = static_cast<size_t>(cfg.redis.queue_max);
  auto manager = std::make_shared<redis_manager>(o);
  auto node = cfg.redis.node_id.empty() ? herald::make_id("n-") : cfg.redis.node_id;
  auto cluster = std::make_shared<cluster_link>(*manager, cfg.redis.key_prefix, node,
                                                cfg.redis.node_ttl, cfg.presence.retain);
  return {manager, cluster};
}

std::vector<std::string> sink_names(const herald::config::herald_config& cfg) {
  std::vector<std::string> out;
  for (auto& s : cfg.sinks)
    out.push_back(s.name);
  return out;
}

// The store behind the inbox: opened here, before anything listens, so a
// bad path or a newer schema stops the start with a clear message.
std::unique_ptr<herald::persistence::store> open_store(const herald::config::herald_config& cfg,
                                                       const redis_parts& redis) {
  using namespace herald::persistence;
  if (cfg.storage.backend == "sqlite")
    return std::make_unique<sqlite_store>(cfg.storage.path, inbox_limits_from(cfg));
  if (cfg.storage.backend == "redis")
    return std::make_unique<redis_store>(*redis.manager, cfg.redis.key_prefix,
                                         inbox_limits_from(cfg), redis.cluster->node_id(),
                                         sink_names(cfg));
  return std::make_unique<memory_store>(inbox_limits_from(cfg));
}

std::string storage_banner(const herald::config::herald_config& cfg, const redis_parts& redis) {
  if (cfg.storage.backend == "sqlite")
    return "sqlite " + cfg.storage.path;
  if (cfg.storage.backend == "memory")
    return "memory (nothing survives a restart)";
  return "redis " + redis.manager->options().endpoint.display() + " prefix \"" +
         cfg.redis.key_prefix + "\", node " + redis.cluster->node_id();
}

std::shared_ptr<const herald::channel_rules>
channel_rules_from(const herald::config::herald_config& c) {
  auto rules = std::make_shared<herald::channel_rules>();
  for (auto& ch : c.channels) {
    herald::channel_options o;
    o.history.size = static_cast<uint64_t>(ch.history_size);
    o.history.ttl = std::chrono::duration_cast<std::chrono::milliseconds>(ch.history_ttl);
    o.history.meta_ttl =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.storage.history_meta_ttl);
    o.presence = ch.presence;
    o.join_leave = ch.join_leave;
    rules->add(ch.match, o);
  }
  return rules;
}

herald::registry_limits registry_limits_from(const herald::config::herald_config& c) {
  herald::registry_limits r;
  r.session.heartbeat_interval = c.heartbeat.interval;
  r.session.stale_after = c.heartbeat.stale_after;
  r.session.resume_window = c.session.resume_window;
  r.session.resume_buffer = static_cast<uint64_t>(c.session.resume_buffer);
  r.session.max_frames_per_sec = static_cast<uint64_t>(c.session.max_frames_per_sec);
  r.session.rate_limit_close_after = c.session.rate_limit_close_after;
  r.session.max_channels = static_cast<uint64_t>(c.session.max_channels);
  r.session.ack_required = c.delivery.ack_required;
  r.session.receipts = c.delivery.receipts;
  r.session.reconnect_spread =
      std::chrono::duration_cast<std::chrono::milliseconds>(c.server.reconnect_spread);
  r.session.refresh_ahead =
      std::chrono::duration_cast<std::chrono::milliseconds>(c.auth.refresh_ahead);
  r.session.token_leeway = std::chrono::duration_cast<std::chrono::milliseconds>(c.auth.leeway);
  r.session.channels = channel_rules_from(c);
  // A user publish waits for its inbox write at most this long (never past
  // command_timeout).
  r.store_timeout = c.redis.command_timeout + std::chrono::milliseconds(250);
  r.presence_retain = c.presence.retain;
  r.presence_max_users = static_cast<uint64_t>(c.presence.max_users);
  r.max_per_user = static_cast<uint64_t>(c.session.max_per_user);
  r.batches_in_flight = static_cast<uint32_t>(c.delivery.batches_in_flight);
  r.publish_backlog_max = static_cast<uint64_t>(c.delivery.publish_backlog_max);
  return r;
}

// Every socket is a descriptor: raise the soft limit to the hard one, and say
// when even that is below what server.max_connections asks for.
void raise_open_file_limit(const herald::config::herald_config& cfg) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return;
  auto before = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
      rl.rlim_cur = before;
  }
  herald::log::info("main", "open-file limit " + std::to_string(rl.rlim_cur) + " (was " +
                                std::to_string(before) + ", hard " + std::to_string(rl.rlim_max) +
                                ")");
  auto wanted = static_cast<rlim_t>(cfg.server.max_connections) + 64;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted)
    herald::log::warn("main",
                      "server.max_connections (" + std::to_string(cfg.server.max_connections) +
                          ") is above the open-file limit; connections past it are refused");
}

// Throws std::invalid_argument naming the key when auth.public_key_file holds no usable key.
std::shared_ptr<herald::net::token_verifier>
make_token_verifier(const herald::config::herald_config& cfg) {
  herald::net::token_verifier::settings s;
  s.secret = cfg.auth.jwt_secret;
  if (!cfg.auth.public_key_file.empty()) {
    std::ifstream in(cfg.auth.public_key_file);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
      throw std::invalid_argument("auth.public_key_file: cannot be read");
    s.public_key_pem = pem.empty() ? std::string(" ") : pem;
  }
  s.jwks_url = cfg.auth.jwks_url;
  s.jwks_refresh = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.auth.jwks_refresh);
  s.jwks_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.auth.jwks_timeout);
  s.leeway_s = std::chrono::duration_cast<std::chrono::seconds>(cfg.auth.leeway).count();
  return std::make_shared<herald::net::token_verifier>(std::move(s));
}

int run(const herald::config::herald_config& cfg, const std::string& source) {
  using namespace herald;
  log::level lv;
  log::parse_level(cfg.log.level, lv);
  log::set_level(lv);
  set_max_json_depth(static_cast<size_t>(cfg.server.max_json_depth));
  persistence::set_max_reply_elements(static_cast<uint64_t>(cfg.redis.max_reply_elements));
  raise_open_file_limit(cfg);
  if (cfg.auth.api_keys.empty() && cfg.listen_host() != "127.0.0.1" && cfg.listen_host() != "::1")
    log::warn("main",
              "auth.api_keys is empty and server.listen is not loopback: anyone who reaches "
              "this port can publish and notify");

  // Signals are taken synchronously by this thread; every thread started
  // below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  caf::actor_system_config caf_cfg;
  caf_cfg.set("scheduler.max-throughput", static_cast<size_t>(500));
  // Actors run on the server's I/O threads (runtime/asio_coordinator.hpp), as
  // many as the cores this process may use (server.threads).
  asio_coordinator::install(caf_cfg);
  auto redis = open_redis(cfg);
  std::shared_ptr<persistence::store_worker> store;
  try {
    store = std::make_shared<persistence::store_worker>(open_store(cfg, redis),
                                                        static_cast<size_t>(cfg.storage.queue_max));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: storage: %s\n", source.c_str(), e.what());
    return 1;
  }
  std::shared_ptr<net::token_verifier> tokens;
  try {
    tokens = make_token_verifier(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", source.c_str(), e.what());
    return 1;
  }
  std::map<std::string, std::shared_ptr<const vapid_key>> vapid_keys;
  try {
    vapid_keys = load_vapid_keys(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", source.c_str(), e.what());
    return 1;
  }
  tokens->start();
  caf::actor_system sys{caf_cfg};
  {
    auto limits = registry_limits_from(cfg);
    limits.session.tokens = tokens;
    registry_client registry{sys, std::move(limits), store, redis.cluster};
    net::http_client_options outbound;
    outbound.idle_max = static_cast<size_t>(cfg.queue.sink_idle_connections);
    outbound.idle_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.queue.sink_idle_timeout);
    auto http = std::make_shared<net::http_client>(outbound);
    // A job that enters the DLQ raises dlq.job_dead on channel "admin".
    queue_client queue{sys,
                       cfg,
                       store,
                       http,
                       [&registry](const std::string& event, const std::string& data) {
                         publish_request req;
                         req.target = publish_target::channel;
                         req.name = "admin";
                         req.event = make_event("admin", event, data);
                         registry.publish(std::move(req), [](std::optional<publish_outcome>) {});
                       },
                       std::move(vapid_keys)};
    // Connects in the background, retrying with backoff: an unreachable Redis
    // at start is a degraded node (health 503), not a failed start.
    if (redis.manager)
      redis.manager->start();
    std::unique_ptr<net::server> srv;
    try {
      srv = std::make_unique<net::server>(cfg, registry, *tokens, &queue);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", source.c_str(), e.what());
      registry.stop();
      queue.stop();
      http->stop();
      return 1;
    }
    srv->start(asio_coordinator::of(sys));
    net::monitor_feed feed{registry, &queue, srv->counters(), srv->series(),
                           uint64_t(cfg.console.scan_sessions)};
    std::unique_ptr<net::node_reporter> reporter;
    if (redis.cluster)
      reporter = std::make_unique<net::node_reporter>(registry, srv->counters(), *redis.cluster);
    log::info("main", std::string("herald ") + HERALD_VERSION + " ready: config " + source +
                          ", storage " + storage_banner(cfg, redis) + ", auth " +
                          (cfg.auth.required ? "required" : "optional") + ", port " +
                          std::to_string(srv->port()));

    int sig = 0;
    sigwait(&signals, &sig);
    auto grace = cfg.server.shutdown_grace;
    auto deadline = std::chrono::steady_clock::now() + grace;
    log::info("main", std::string("caught ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                          ", shutting down (grace " + config::format_duration(grace) + ")");
    // Whatever hangs, the process ends within the grace period.
    std::thread([grace] {
      std::this_thread::sleep_for(grace);
      log::error("main", "shutdown_grace exceeded, exiting now");
      std::fflush(stderr);
      ::_exit(0);
    }).detach();

    srv->stop_accepting();
    feed.stop();
    if (reporter)
      reporter->stop();
    registry.shutdown();
    // Leave a margin of the grace period for stopping threads and actors.
    auto wait_until =
        deadline - std::min<std::chrono::milliseconds>(grace / 2, std::chrono::milliseconds(1000));
    while (srv->counters().active_connections.load() > 0 &&
           std::chrono::steady_clock::now() < wait_until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    srv->stop();
    registry.stop();
    queue.stop();
    http->stop(); // requests still in flight end; their jobs' leases run out and they are retried
    sys.await_all_actors_done();
    srv.reset();
  }
  store->stop(); // runs what is still queued (cursor moves), closes the file
  if (redis.manager) {
    redis.cluster->leave();
    redis.manager->stop();
  }
  log::info("main", "stopped");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool explicit_config = false;
  std::string check_path;
  bool check = false;
  if (argc > 1 && std::string(argv[1]) == "gentoken")
    return herald::gentoken(argc - 2, argv + 2, default_config_path);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      std::cout << "herald " << HERALD_VERSION << "\n";
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    }
    if ((arg == "--config" || arg == "--check-config") && i + 1 < argc) {
      (arg == "--config" ? config_path : check_path) = argv[++i];
      (arg == "--config" ? explicit_config : check) = true;
      continue;
    }
    std::cerr << "herald: unknown or incomplete argument '" << arg << "'\n";
    usage(std::cerr);
    return 1;
  }
  if (check) {
    auto loaded = herald::config::load_from_process(check_path);
    if (!loaded.config) {
      std::cerr << loaded.error << "\n";
      return 1;
    }
    if (auto problem = startup_problem(*loaded.config, check_path); !problem.empty()) {
      std::cerr << problem << "\n";
      return 1;
    }
    std::cout << herald::config::to_json(*loaded.config) << "\n";
    return 0;
  }
  if (!explicit_config)
    config_path = access(default_config_path, R_OK) == 0 ? default_config_path : "";
  auto loaded = herald::config::load_from_process(config_path);
  if (!loaded.config) {
    std::cerr << loaded.error << "\n";
    return 1;
  }
  auto source = config_path.empty() ? std::string("<embedded config>") : config_path;
  if (auto problem = startup_problem(*loaded.config, source); !problem.empty()) {
    std::cerr << problem << "\n";
    return 1;
  }
  return run(*loaded.config, source);
}
