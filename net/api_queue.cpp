// The outbound-notification routes of docs/http-api.md: /notify, /queue/stats,
// /dlq, and the opt-in registry (/optin/{sink}/{to}).
#include "actors/event.hpp"
#include "actors/queue_protocol.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"
#include "net/api.hpp"
#include "net/monitor_json.hpp"
#include "net/upgrade.hpp"

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
  if (p == "/api/v1/notify") {
    if (req.method != "POST")
      respond(json_error(405, "use POST"));
    else
      notify(req, respond);
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
    uint64_t limit = 100;
    auto q = parse_query(req.query);
    if (auto it = q.find("limit"); it != q.end()) {
      if (it->second.empty() || it->second.size() > 6 ||
          it->second.find_first_not_of("0123456789") != std::string::npos)
        return respond(json_error(400, "limit must be a number from 1 to 1000")), true;
      limit = std::stoull(it->second);
      if (limit < 1 || limit > 1000)
        return respond(json_error(400, "limit must be a number from 1 to 1000")), true;
    }
    queue_->dlq_list(limit,
                     [respond, no_answer](std::optional<std::vector<persistence::job>> jobs) {
                       if (!jobs)
                         return no_answer();
                       json list = json::array();
                       for (auto& j : *jobs)
                         list.push_back(job_json(j));
                       respond(ok({{"jobs", list}}));
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

void api::notify(const api_request& req, std::function<void(api_response)> respond) {
  auto body = parse_json(req.body);
  if (body.is_discarded())
    return respond(json_error(400, "body is not valid JSON"));
  if (!body.is_object())
    return respond(json_error(400, "body must be a JSON object"));
  auto str = [&](const char* key) -> const std::string* {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  auto sink_name = str("sink");
  if (!sink_name)
    return respond(json_error(400, "\"sink\" must be a string naming a configured sink"));
  auto sink = find_sink(cfg_, *sink_name);
  if (!sink)
    return respond(json_error(400, "unknown sink \"" + *sink_name + "\""));
  auto to = str("to");
  if (!to || to->empty() || to->size() > 500)
    return respond(json_error(400, "\"to\" must be a non-empty string of at most 500 bytes"));
  auto text = str("text");
  if (!text || text->size() > 65536)
    return respond(json_error(400, "\"text\" must be a string of at most 65536 bytes"));
  std::string data = "{}";
  if (auto it = body.find("data"); it != body.end()) {
    if (!it->is_object())
      return respond(json_error(400, "\"data\" must be an object"));
    data = json_text(*it);
  }
  persistence::job j;
  j.id = make_id("j-");
  j.sink = *sink_name;
  j.to = *to;
  j.text = *text;
  j.data = data;
  j.created_ms = j.run_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  queue_->notify(std::move(j), sink->require_opt_in, [respond](std::optional<notify_result> r) {
    if (!r)
      return respond(json_error(503, "the queue did not answer"));
    if (r->status != 202)
      return respond(json_error(r->status, r->error));
    respond(ok({{"job_id", r->job_id}}, 202));
  });
}

} // namespace herald::net
