// Monitoring routes of docs/http-api.md: /api/v1/actors (the live actor tree) and
// /metrics (Prometheus text format, every name starting herald_).
#include "actors/queue_protocol.hpp"
#include "config/contain.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"
#include "net/api.hpp"
#include "net/connection_gate.hpp"
#include "net/monitor_json.hpp"
#include "net/query_params.hpp"
#include "net/upgrade.hpp"
#include "runtime/latency_histogram.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
#include <sstream>

namespace herald::net {

namespace {
const std::string prom_content_type = "text/plain; version=0.0.4; charset=utf-8";
}

using nlohmann::json;

namespace {

// Reads an unsigned query parameter; false when present and not a number in [lo, hi].
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

class prom {
public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const std::string& name, double v, const std::string& labels = "") {
    out_ << name;
    if (!labels.empty())
      out_ << '{' << labels << '}';
    out_ << ' ' << v << '\n';
  }
  std::string str() const { return out_.str(); }

private:
  std::ostringstream out_;
};

} // namespace

namespace {
std::optional<session_sort> sort_named(const std::string& name) {
  static const std::pair<const char*, session_sort> names[] = {
      {"id", session_sort::id},
      {"user", session_sort::user},
      {"mailbox", session_sort::mailbox},
      {"outbound", session_sort::outbound},
      {"last_seen", session_sort::last_seen}};
  for (auto& [n, s] : names)
    if (name == n)
      return s;
  return std::nullopt;
}
} // namespace

void api::actors(const api_request& req, std::function<void(api_response)> respond) {
  auto q = parse_query(req.query);
  session_query query;
  query.scan_max = uint64_t(cfg_.console.scan_sessions);
  if (!number_param(q, "limit", 1, 1000, query.limit))
    return respond(json_error(400, "limit must be a number from 1 to 1000"));
  if (!number_param(q, "offset", 0, 100'000'000, query.offset))
    return respond(json_error(400, "offset must be a number"));
  query.user = q.count("user") ? q["user"] : std::string();
  query.channel = q.count("channel") ? q["channel"] : std::string();
  if (query.user.size() > 200 || query.channel.size() > 200)
    return respond(json_error(400, "user and channel must be at most 200 bytes"));
  if (q.count("sort")) {
    auto sort = sort_named(q["sort"]);
    if (!sort)
      return respond(json_error(400, "sort must be one of id, user, mailbox, outbound, last_seen"));
    query.sort = *sort;
  }
  if (q.count("order")) {
    if (q["order"] != "asc" && q["order"] != "desc")
      return respond(json_error(400, "order must be asc or desc"));
    query.descending = q["order"] == "desc";
  }
  auto user = query.user;
  auto channel = query.channel;
  auto limit = query.limit;
  auto offset = query.offset;
  auto node = registry_.node_id();
  auto redis_state = std::string(registry_.redis_state());
  auto latency = registry_.redis_latency_us();
  auto* queue = queue_;
  registry_.actors(query, [=](std::optional<actors_page> page) {
    if (!page)
      return respond(json_error(503, "the registry did not answer"));
    auto finish = [=](std::vector<actor_info> more) {
      json list = json::array();
      for (auto& a : page->actors)
        list.push_back(actor_json(a));
      for (auto& a : more)
        list.push_back(actor_json(a));
      if (redis_state != "disabled")
        list.push_back(
            {{"name", "redis"},
             {"kind", "redis"},
             {"parent", nullptr},
             {"mailbox", 0},
             {"processed", 0},
             {"per_second", 0},
             {"failures", 0},
             {"restarts", 0},
             {"state", redis_state},
             {"last_error", nullptr},
             {"latency_ms", latency >= 0 ? json(double(latency) / 1000.0) : json(nullptr)}});
      respond({200, json_text(json{{"node_id", node.empty() ? json(nullptr) : json(node)},
                                   {"total_sessions", page->total_sessions},
                                   {"scanned", page->scanned},
                                   {"limit", limit},
                                   {"offset", offset},
                                   {"user", user.empty() ? json(nullptr) : json(user)},
                                   {"channel", channel.empty() ? json(nullptr) : json(channel)},
                                   {"actors", list}})});
    };
    if (queue)
      queue->actors(finish);
    else
      finish({});
  });
}

void api::metrics(std::function<void(api_response)> respond) {
  static constexpr auto fresh_for = std::chrono::seconds(1);
  auto cache = metrics_cache_;
  {
    std::lock_guard<std::mutex> lock(cache->m);
    if (!cache->text.empty() && std::chrono::steady_clock::now() - cache->at < fresh_for)
      return respond({200, cache->text, prom_content_type});
    cache->waiting.push_back(std::move(respond));
    if (cache->rendering)
      return; // answered with the render in flight
    cache->rendering = true;
  }
  render_metrics([cache](std::string text) {
    std::vector<std::function<void(api_response)>> waiting;
    {
      std::lock_guard<std::mutex> lock(cache->m);
      cache->text = text;
      cache->at = std::chrono::steady_clock::now();
      cache->rendering = false;
      waiting.swap(cache->waiting);
    }
    for (auto& r : waiting)
      r({200, text, prom_content_type});
  });
}

namespace {

// Channel history and recovery (docs/history.md).
void history_metrics(prom& out, const history_stats& h) {
  out.family("herald_history_appended_total", "counter",
             "Events this node kept in a channel's history since start.");
  out.sample("herald_history_appended_total", double(h.appended));
  out.family("herald_history_append_failures_total", "counter",
             "Events of history channels that could not be kept (delivered without an offset).");
  out.sample("herald_history_append_failures_total", double(h.append_failures));
  out.family("herald_recoveries_total", "counter",
             "Subscriptions with since, by whether nothing was missed (recovered true/false).");
  out.sample("herald_recoveries_total", double(h.recovered), "recovered=\"true\"");
  out.sample("herald_recoveries_total", double(h.not_recovered), "recovered=\"false\"");
}

} // namespace

// Costs O(1) in sessions: counters, the registry's totals, and the mailboxes
// of the long-lived actors (no session is listed, so no session id leaks).
void api::render_metrics(std::function<void(std::string)> done) {
  // Four answers to gather (registry, history, queue actors, queue stats).
  struct parts {
    std::mutex m;
    int left = 4;
    std::optional<registry_stats> registry;
    std::optional<history_stats> history;
    std::vector<actor_info> queue_actors;
    std::optional<queue_stats> queue;
  };
  auto p = std::make_shared<parts>();
  auto render = [this, p, done] {
    prom out;
    auto& c = counters_;
    out.family("herald_connections", "gauge", "WebSocket connections open now.");
    out.sample("herald_connections", double(c.active_connections.load()));
    out.family("herald_connections_total", "counter", "WebSocket upgrades since start.");
    out.sample("herald_connections_total", double(c.total_connections.load()));
    out.family("herald_messages_out_total", "counter", "Frames written to clients since start.");
    out.sample("herald_messages_out_total", double(c.total_messages.load()));
    out.family("herald_messages_in_total", "counter", "Frames read from clients since start.");
    out.sample("herald_messages_in_total", double(c.messages_in.load()));
    out.family("herald_socket_writes_total", "counter",
               "Gathered socket writes that carried the frames.");
    out.sample("herald_socket_writes_total", double(c.socket_writes.load()));
    out.family("herald_slow_consumer_closes_total", "counter",
               "Sessions closed 1013 for a full outbound queue.");
    out.sample("herald_slow_consumer_closes_total", double(c.slow_consumer_closes.load()));
    out.family("herald_rejected_connections_total", "counter",
               "Upgrades refused at server.max_connections.");
    out.sample("herald_rejected_connections_total", double(c.rejected_full.load()));
    if (p->registry) {
      out.family("herald_sessions", "gauge", "Session actors alive, resumable ones included.");
      out.sample("herald_sessions", double(p->registry->sessions));
      out.family("herald_users_online", "gauge", "Users with at least one live socket.");
      out.sample("herald_users_online", double(p->registry->users));
      out.family("herald_channels", "gauge", "Channels with at least one session.");
      out.sample("herald_channels", double(p->registry->channels));
      out.family("herald_evicted_stale_total", "counter",
                 "Sessions evicted for silence since start.");
      out.sample("herald_evicted_stale_total", double(p->registry->evicted_stale));
    }
    auto h = publish_to_write().read();
    out.family("herald_publish_to_write_seconds", "histogram",
               "From an event's publish to its frame handed to a session's socket.");
    for (size_t i = 0; i < latency_histogram::bounds.size(); ++i) {
      std::ostringstream le;
      le << latency_histogram::bounds[i];
      out.sample("herald_publish_to_write_seconds_bucket", double(h.cumulative[i]),
                 "le=\"" + le.str() + "\"");
    }
    out.sample("herald_publish_to_write_seconds_bucket", double(h.cumulative.back()),
               "le=\"+Inf\"");
    out.sample("herald_publish_to_write_seconds_sum", h.sum_seconds);
    out.sample("herald_publish_to_write_seconds_count", double(h.count));

    out.family(
        "herald_contained_failures_total", "counter",
        "Exceptions contained at a thread or callback boundary (each ended one request or tick).");
    out.sample("herald_contained_failures_total", double(contained_failures().load()));
    if (gate_) {
      out.family("herald_pending_connections", "gauge",
                 "Connections that have not sent their first request yet.");
      out.sample("herald_pending_connections", double(gate_->pending()));
      out.family("herald_pending_evicted_total", "counter",
                 "Pending connections closed to make room (server.max_pending).");
      out.sample("herald_pending_evicted_total", double(gate_->evicted()));
      out.family("herald_refused_per_ip_total", "counter",
                 "Connections refused at server.max_connections_per_ip.");
      out.sample("herald_refused_per_ip_total", double(gate_->refused_per_ip()));
    }
    std::vector<actor_info> all = p->queue_actors;
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.mailbox > b.mailbox; });
    if (all.size() > 20)
      all.resize(20);
    out.family("herald_actor_mailbox", "gauge",
               "Messages waiting in a long-lived actor's mailbox (the 20 fullest).");
    for (auto& a : all)
      out.sample("herald_actor_mailbox", double(a.mailbox),
                 "actor=\"" + label(a.name) + "\",kind=\"" + a.kind + "\"");
    if (p->queue) {
      auto& q = *p->queue;
      out.family("herald_queue_jobs", "gauge", "Outbound jobs in each state now.");
      out.sample("herald_queue_jobs", double(q.now.waiting), "state=\"waiting\"");
      out.sample("herald_queue_jobs", double(q.now.delayed), "state=\"delayed\"");
      out.sample("herald_queue_jobs", double(q.now.active), "state=\"active\"");
      out.sample("herald_queue_jobs", double(q.now.dead), "state=\"dead\"");
      out.family("herald_dlq_jobs", "gauge", "Jobs in the dead-letter queue.");
      out.sample("herald_dlq_jobs", double(q.now.dead));
      out.family("herald_jobs_completed_total", "counter", "Jobs delivered since start.");
      out.sample("herald_jobs_completed_total", double(q.completed));
      out.family("herald_job_attempts_failed_total", "counter",
                 "Failed delivery attempts since start.");
      out.sample("herald_job_attempts_failed_total", double(q.failed));
      out.family("herald_dlq_refused_total", "counter",
                 "Deaths a full DLQ could not take (the job was kept).");
      out.sample("herald_dlq_refused_total", double(q.dlq_refused));
      out.family("herald_jobs_expired_total", "counter",
                 "Jobs past their expires_at, sent to the DLQ unsent, since start.");
      out.sample("herald_jobs_expired_total", double(q.expired));
      out.family("herald_webpush_gone_total", "counter",
                 "Web pushes the push service answered 404/410 (subscription gone), dropped "
                 "without retries, since start.");
      out.sample("herald_webpush_gone_total", double(q.subscriptions_gone));
      out.family("herald_escalations_total", "counter",
                 "Escalations decided on this node since start: cancelled by an ack in time, "
                 "or notified.");
      out.sample("herald_escalations_total", double(q.escalations_cancelled),
                 "outcome=\"cancelled\"");
      out.sample("herald_escalations_total", double(q.escalations_notified),
                 "outcome=\"notified\"");
      out.family("herald_sink_breaker_state", "gauge",
                 "1 for the state each sink's circuit breaker is in.");
      for (auto& s : q.sinks)
        for (const char* st : {"closed", "open", "half_open"})
          out.sample("herald_sink_breaker_state", s.breaker == st ? 1 : 0,
                     "sink=\"" + label(s.name) + "\",state=\"" + st + "\"");
      out.family("herald_notifier_restarts_total", "counter",
                 "Notifier restarts per sink since start.");
      for (auto& s : q.sinks)
        out.sample("herald_notifier_restarts_total", double(s.restarts),
                   "sink=\"" + label(s.name) + "\"");
    }
    if (p->history)
      history_metrics(out, *p->history);
    std::string redis = registry_.redis_state();
    out.family("herald_redis_up", "gauge",
               "1 when Redis answers, 0 when it is down (absent without Redis).");
    if (redis != "disabled") {
      out.sample("herald_redis_up", redis == "ok" ? 1 : 0);
      auto lat = registry_.redis_latency_us();
      out.family("herald_redis_latency_seconds", "gauge", "Round trip of the last health PING.");
      if (lat >= 0)
        out.sample("herald_redis_latency_seconds", double(lat) / 1e6);
    }
    done(out.str());
  };
  auto one_done = [p, render] {
    bool last;
    {
      std::lock_guard<std::mutex> lock(p->m);
      last = --p->left == 0;
    }
    if (last)
      render();
  };
  registry_.stats([p, one_done](std::optional<registry_stats> st) {
    {
      std::lock_guard<std::mutex> lock(p->m);
      p->registry = st;
    }
    one_done();
  });
  registry_.history_stats([p, one_done](std::optional<history_stats> st) {
    {
      std::lock_guard<std::mutex> lock(p->m);
      p->history = std::move(st);
    }
    one_done();
  });
  if (!queue_) {
    one_done();
    return one_done(); // no queue: its two parts are empty
  }
  queue_->actors([p, one_done](std::vector<actor_info> infos) {
    {
      std::lock_guard<std::mutex> lock(p->m);
      p->queue_actors = std::move(infos);
    }
    one_done();
  });
  queue_->stats([p, one_done](std::optional<queue_stats> st) {
    {
      std::lock_guard<std::mutex> lock(p->m);
      p->queue = std::move(st);
    }
    one_done();
  });
}

} // namespace herald::net
