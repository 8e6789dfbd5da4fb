// The outbound-notification routes of docs/http-api.md: /notify, /queue/stats,
// /dlq, and the opt-in registry (/optin/{sink}/{to}).
#include "actors/clock.hpp"
#include "actors/event.hpp"
#include "actors/queue_protocol.hpp"
#include "actors/webpush.hpp"
#include "config/duration.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"
#include "net/api.hpp"
#include "net/api_body.hpp"
#include "net/monitor_json.hpp"
#include "net/notify_recipient.hpp"
#include "net/query_params.hpp"
#include "net/upgrade.hpp"
#include <mutex>

#include <nlohmann/json.hpp>

namespace herald::net {

using nlohmann::json;

namespace {

api_response ok(const json& j, int status = 200) {
  return {status, json_text(j)};
}

const config::sink_config* find_sink(const config::herald_config& cfg, const std::string& name) {
  for (auto& s : cfg.sinks)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::string decoded(const std::string& segment) {
  return decode_path_segment(segment);
}

std::vector<std::string> split(const std::string& rest) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= rest.size()) {
    auto slash = rest.find('/', at);
    out.push_back(rest.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
    if (slash == std::string::npos)
      break;
    at = slash + 1;
  }
  return out;
}

json job_json(const persistence::job& j) {
  auto data = parse_json(j.data);
  json failed_at = nullptr;
  if (j.failed_at_ms > 0)
    failed_at =
        rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(j.failed_at_ms)));
  return {
      {"job_id", j.id},
      {"sink", j.sink},
      {"priority", j.priority == persistence::job_priority::high  ? "high"
                   : j.priority == persistence::job_priority::low ? "low"
                                                                  : "normal"},
      {"attempts", j.attempts},
      {"last_error", j.last_error},
      {"failed_at", failed_at},
      {"payload",
       {{"to", j.to}, {"text", j.text}, {"data", data.is_discarded() ? json::object() : data}}}};
}

} // namespace

bool api::handle_queue(const api_request& req, std::function<void(api_response)>& respond) {
  const auto& p = req.path;
  if (!queue_) {
    respond(json_error(503, "the queue is not running"));
    return true;
  }
  auto no_answer = [respond] { respond(json_error(503, "the queue did not answer")); };
  if (p == "/api/v1/notify" || p == "/api/v1/notify/batch") {
    if (req.method != "POST")
      respond(json_error(405, "use POST"));
    else if (p == "/api/v1/notify")
      notify(req, respond);
    else
      notify_batch(req, respond);
    return true;
  }
  if (p == "/api/v1/queue/stats") {
    if (req.method != "GET")
      return respond(json_error(405, "use GET")), true;
    queue_->stats([respond, no_answer](std::optional<queue_stats> st) {
      if (!st)
        return no_answer();
      respond(ok(queue_stats_json(*st)));
    });
    return true;
  }
  if (p == "/api/v1/dlq") {
    if (req.method != "GET")
      return respond(json_error(405, "use GET")), true;
    uint64_t limit = 100, offset = 0;
    auto q = parse_query(req.query);
    if (!number_param(q, "limit", 1, 1000, limit))
      return respond(json_error(400, "limit must be a number from 1 to 1000")), true;
    if (!number_param(q, "offset", 0, 100'000'000, offset))
      return respond(json_error(400, "offset must be a number from 0 to 100000000")), true;
    queue_->dlq_list(
        limit, offset,
        [respond, no_answer, limit, offset](std::optional<std::vector<persistence::job>> jobs) {
          if (!jobs)
            return no_answer();
          json list = json::array();
          for (auto& j : *jobs)
            list.push_back(job_json(j));
          respond(ok({{"jobs", list}, {"limit", limit}, {"offset", offset}}));
        });
    return true;
  }
  if (p.rfind("/api/v1/dlq/", 0) == 0) {
    auto parts = split(p.substr(std::string("/api/v1/dlq/").size()));
    auto id = parts.empty() ? std::string() : decoded(parts[0]);
    if (id.empty())
      return respond(json_error(404, "no job id given")), true;
    auto answer = [respond, no_answer, id](const char* what) {
      return [respond, no_answer, id, what](std::optional<bool> found) {
        if (!found)
          return no_answer();
        if (!*found)
          return respond(json_error(404, "no job " + id + " in the DLQ"));
        respond(ok({{"job_id", id}, {what, true}}));
      };
    };
    if (parts.size() == 2 && parts[1] == "retry") {
      if (req.method != "POST")
        return respond(json_error(405, "use POST")), true;
      queue_->dlq_retry(id, answer("retried"));
      return true;
    }
    if (parts.size() == 1) {
      if (req.method != "DELETE")
        return respond(json_error(405, "use DELETE")), true;
      queue_->dlq_delete(id, answer("deleted"));
      return true;
    }
    respond(json_error(404, "no such route"));
    return true;
  }
  // /api/v1/optin/{sink}/{to}
  auto parts = split(p.substr(std::string("/api/v1/optin/").size()));
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty())
    return respond(json_error(404, "use /api/v1/optin/{sink}/{to}")), true;
  auto sink = decoded(parts[0]), to = decoded(parts[1]);
  if (!valid_utf8(sink) || !valid_utf8(to) || to.size() > 500)
    return respond(json_error(400, "sink and to must be UTF-8 (to: at most 500 bytes)")), true;
  if (!find_sink(cfg_, sink))
    return respond(json_error(404, "no sink named " + sink)), true;
  if (req.method != "PUT" && req.method != "DELETE")
    return respond(json_error(405, "use PUT or DELETE")), true;
  bool on = req.method == "PUT";
  queue_->optin(sink, to, on, [respond, sink, to, on](std::optional<bool> done) {
    if (!done || !*done)
      return respond(json_error(503, "opt-in not stored"));
    respond(ok({{"sink", sink}, {"to", to}, {"opted_in", on}}));
  });
  return true;
}

namespace {

// Days a job may be scheduled ahead at most.
constexpr int64_t schedule_days_max = 366;

struct parsed_notify {
  persistence::job job;
  bool require_opt_in = false;
  std::string error; // set: refused (400) with this reason
};

// A /notify body → the job it asks for (docs/http-api.md).
parsed_notify parse_notify(const config::herald_config& cfg, const nlohmann::json& body,
                           int64_t now_ms) {
  parsed_notify out;
  auto refuse = [&](std::string why) {
    out.error = std::move(why);
    return std::move(out);
  };
  if (!body.is_object())
    return refuse("a notify is a JSON object");
  auto sink_name = string_field(body, "sink");
  if (!sink_name)
    return refuse("\"sink\" must be a string naming a configured sink");
  auto sink = find_sink(cfg, *sink_name);
  if (!sink)
    return refuse("unknown sink \"" + utf8_cut(utf8_clean(*sink_name), 100) + "\"");
  std::string why;
  auto to = body.contains("to") ? notify_recipient(body["to"], *sink, why) : std::nullopt;
  if (!to)
    return refuse(why.empty() ? "\"to\" is required" : why);
  auto text = string_field(body, "text");
  if (!text || text->size() > 65536)
    return refuse("\"text\" must be a string of at most 65536 bytes");
  auto& j = out.job;
  if (auto it = body.find("data"); it != body.end()) {
    if (!it->is_object())
      return refuse("\"data\" must be an object");
    j.data = json_text(*it);
  }
  j.id = make_id("j-");
  j.sink = *sink_name;
  j.to = *to;
  j.text = *text;
  j.created_ms = j.run_at_ms = now_ms;
  auto delay = body.find("delay"), send_at = body.find("send_at");
  if (delay != body.end() && send_at != body.end())
    return refuse("give \"delay\" or \"send_at\", not both");
  int64_t latest = now_ms + schedule_days_max * 24 * 3600 * 1000;
  if (delay != body.end()) {
    auto d = delay->is_string() ? config::parse_duration(delay->get<std::string>()) : std::nullopt;
    if (!d || d->count() < 0 || now_ms + d->count() > latest)
      return refuse("\"delay\" must be a duration such as \"90s\" of at most 366 days");
    j.run_at_ms = now_ms + d->count();
  }
  if (send_at != body.end()) {
    auto t = send_at->is_string() ? parse_rfc3339(send_at->get<std::string>()) : std::nullopt;
    auto ms =
        t ? std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count()
          : 0;
    if (!t || ms > latest)
      return refuse("\"send_at\" must be an RFC 3339 time within 366 days");
    j.run_at_ms = std::max(now_ms, ms);
  }
  if (auto it = body.find("dedupe_key"); it != body.end()) {
    if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > 200)
      return refuse("\"dedupe_key\" must be 1 to 200 bytes");
    j.dedupe_key = it->get<std::string>();
  }
  if (auto it = body.find("expires_at"); it != body.end()) {
    auto t = it->is_string() ? parse_rfc3339(it->get<std::string>()) : std::nullopt;
    if (!t)
      return refuse("\"expires_at\" must be an RFC 3339 time");
    j.expires_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
    if (j.expires_at_ms <= j.run_at_ms)
      return refuse("\"expires_at\" is not after the time the job would be sent");
  }
  if (auto it = body.find("priority"); it != body.end()) {
    auto p = it->is_string() ? it->get<std::string>() : std::string();
    if (p == "high")
      j.priority = persistence::job_priority::high;
    else if (p == "low")
      j.priority = persistence::job_priority::low;
    else if (p != "normal")
      return refuse("\"priority\" must be \"high\", \"normal\" or \"low\"");
  }
  if (sink->kind == "webpush" && webpush_payload(j).size() > webpush_plaintext_max)
    return refuse("\"text\" and \"data\" do not fit in one push (" +
                  std::to_string(webpush_plaintext_max) + " bytes with the job id)");
  if (j.run_at_ms > now_ms)
    j.state = persistence::job_state::delayed;
  out.require_opt_in = sink->require_opt_in;
  return out;
}

} // namespace

std::optional<std::string> notify_recipient(const json& to, const config::sink_config& sink,
                                            std::string& error) {
  if (sink.kind == "webpush") {
    auto text = to.is_object() ? json_text(to) : to.is_string() ? to.get<std::string>() : "";
    if (text.size() > 4096) {
      error = "\"to\" (a push subscription) must be at most 4096 bytes";
      return std::nullopt;
    }
    if (!parse_subscription(text, error))
      return std::nullopt;
    return text;
  }
  if (!to.is_string() || to.get<std::string>().empty() || to.get<std::string>().size() > 500) {
    error = "\"to\" must be a non-empty string of at most 500 bytes";
    return std::nullopt;
  }
  return to.get<std::string>();
}

void api::notify(const api_request& req, std::function<void(api_response)> respond) {
  auto body = json_object_body(req, respond);
  if (!body)
    return;
  auto parsed = parse_notify(cfg_, *body, wall_ms());
  if (!parsed.error.empty())
    return respond(json_error(400, parsed.error));
  submit_notify(std::move(parsed.job), parsed.require_opt_in,
                [respond](int status, std::string answer) {
                  respond({status, std::move(answer)});
                });
}

// Stores a parsed job; `done` gets the status and JSON answer. A job with a
// dedupe_key first claims it (across nodes on Redis): while an earlier job
// with that key is not finished, its job_id is the answer.
void api::submit_notify(persistence::job j, bool require_opt_in,
                        std::function<void(int, std::string)> done) {
  auto run_at = j.run_at_ms;
  bool delayed = j.state == persistence::job_state::delayed;
  auto answered = [done, run_at, delayed](std::optional<notify_result> r) {
    if (!r)
      return done(503, json_text(json{{"error", "the queue did not answer"}}));
    if (r->status != 202)
      return done(r->status, json_text(json{{"error", r->error}}));
    json answer{{"job_id", r->job_id}};
    if (delayed)
      answer["run_at"] =
          rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(run_at)));
    done(202, json_text(answer));
  };
  if (j.dedupe_key.empty())
    return queue_->notify(std::move(j), require_opt_in, std::move(answered));
  auto hold = persistence::dedupe_hold(j);
  auto max_age = cfg_.queue.dedupe_max_age.count();
  auto held = std::make_shared<std::optional<std::string>>();
  auto job = std::make_shared<persistence::job>(std::move(j));
  auto& registry = registry_;
  auto* queue = queue_;
  // The job id is known now: it is kept with the claim, so the job's own
  // release (when it is delivered or dead) always comes after it.
  bool posted = registry_.with_store(
      [hold, max_age, held, id = job->id](persistence::store& s) {
        auto now = wall_ms();
        *held = s.idempotency_claim(hold, now, max_age);
        if (!*held)
          s.idempotency_keep(hold, id, now, max_age);
      },
      [=, &registry](bool ok) {
        if (!ok)
          return done(503, json_text(json{{"error", "the dedupe_key could not be checked"}}));
        if (*held && !(*held)->empty())
          return done(202, json_text(json{{"job_id", **held}, {"deduplicated", true}}));
        if (*held)
          return done(409, json_text(json{{"error", "a notify with this dedupe_key is being "
                                                    "stored; ask again shortly"}}));
        queue->notify(
            std::move(*job), require_opt_in, [=, &registry](std::optional<notify_result> r) {
              if (!r || r->status != 202) // not stored: the key is free again
                registry.with_store([hold](persistence::store& s) { s.idempotency_release(hold); },
                                    [](bool) {});
              answered(r);
            });
      });
  if (!posted)
    done(503, json_text(json{{"error", "the store is not taking work (storage.queue_max)"}}));
}

// {"items":[…]} → {"results":[{"job_id"} or {"error","status"}…]} in order.
void api::notify_batch(const api_request& req, std::function<void(api_response)> respond) {
  auto body = json_object_body(req, respond);
  if (!body)
    return;
  auto items = batch_list(*body, "items", static_cast<size_t>(cfg_.delivery.batch_max), respond);
  if (!items)
    return;
  auto results = std::make_shared<batch_results>(items->size(), respond);
  std::vector<parsed_notify> jobs;
  std::vector<size_t> at;
  auto now = wall_ms();
  for (size_t i = 0; i < items->size(); ++i) {
    auto parsed = parse_notify(cfg_, (*items)[i], now);
    if (!parsed.error.empty()) {
      results->set(i, {{"error", parsed.error}, {"status", 400}});
      continue;
    }
    jobs.push_back(std::move(parsed));
    at.push_back(i);
  }
  results->start(jobs.size());
  for (size_t k = 0; k < jobs.size(); ++k)
    submit_notify(std::move(jobs[k].job), jobs[k].require_opt_in,
                  [results, i = at[k]](int status, std::string text) {
                    auto answer = parse_json(text);
                    if (status != 202)
                      answer["status"] = status;
                    results->put(i, std::move(answer));
                  });
}

} // namespace herald::net
