// Raw bytes → Beast's request parser (the server's limits) → the router
// (upgrade decision or API) → its answer, with a real registry in a real
// actor system behind it. Every answer must come exactly once, with a
// status the server may send, and a JSON body that parses.
#include "actors/registry_client.hpp"
#include "config/config.hpp"
#include "config/text.hpp"
#include "net/api.hpp"
#include "net/http_request.hpp"
#include "net/monitor_series.hpp"
#include "net/upgrade.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>

namespace {

namespace http = boost::beast::http;
using namespace herald;

struct world {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  config::herald_config conf = [] {
    auto r = config::load("", {{"HERALD_AUTH_JWT_SECRET", "fuzz-secret-0123456789abcdef0123456789"},
                               {"HERALD_STORAGE_BACKEND", "memory"}});
    if (!r.config)
      std::abort();
    // Sinks for publishes' "escalate" (the queue routes answer 503 without a queue).
    config::sink_config hook;
    hook.name = "hook";
    hook.kind = "webhook";
    hook.url = "http://127.0.0.1:9/hook";
    config::sink_config push;
    push.name = "push";
    push.kind = "webpush";
    push.vapid_subject = "mailto:fuzz@example.com";
    r.config->sinks = {hook, push};
    return *r.config;
  }();
  registry_client registry{sys, registry_limits{}};
  net::server_counters counters;
  net::api open{conf, registry, counters, nullptr};
  config::herald_config keyed_conf = [this] {
    auto c = conf;
    c.auth.api_keys = {"fuzz-key"};
    return c;
  }();
  net::api keyed{keyed_conf, registry, counters, nullptr};
  // The console's series, with a point in it, behind both.
  net::monitor_series series;
  bool series_set = [this] {
    series.add({{"t", 1}, {"connections", 0}});
    open.set_series(&series);
    keyed.set_series(&series);
    return true;
  }();
  net::upgrade_settings upgrade = [this] {
    net::upgrade_settings u;
    u.jwt_secret = conf.auth.jwt_secret;
    return u;
  }();
};

world& the_world() {
  static auto* w = new world; // lives for the whole run: actors keep references
  return *w;
}

void check_answer(const net::api_response& r) {
  if (r.status < 200 || r.status > 599)
    std::abort();
  if (r.content_type == "application/json" &&
      nlohmann::json::parse(r.body, nullptr, false).is_discarded())
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = the_world();
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done())
    parser.put_eof(ec);
  if (ec || !parser.is_done())
    return 0;
  auto& req = parser.get();
  auto ar = net::to_api_request(req);
  if (ar.path == "/ws") {
    auto d =
        net::decide_upgrade(ar.query, req[http::field::authorization], w.upgrade, 1'700'000'000);
    if (d.status != 101 &&
        nlohmann::json::parse(json_text(nlohmann::json{{"error", d.error}}), nullptr, false)
            .is_discarded())
      std::abort();
    return 0;
  }
  for (auto* api : {&w.open, &w.keyed}) {
    auto answered = std::make_shared<std::promise<net::api_response>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    api->handle(ar, [answered, calls](net::api_response r) {
      if (calls->fetch_add(1) == 0)
        answered->set_value(std::move(r));
      else
        std::abort(); // answered twice
    });
    auto f = answered->get_future();
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
      std::abort(); // never answered
    check_answer(f.get());
  }
  return 0;
}
