// A user publish's "escalate" (docs/http-api.md): a notify job made now,
// delayed by `after`, that the queue lets go only if the event is not acked
// by then (actors/queue.cpp, settle_escalations).
#include "actors/clock.hpp"
#include "actors/event.hpp"
#include "actors/webpush.hpp"
#include "config/duration.hpp"
#include "config/time_format.hpp"
#include "net/api.hpp"
#include "net/api_body.hpp"
#include "net/notify_recipient.hpp"

namespace herald::net {

using nlohmann::json;

namespace {

constexpr int64_t escalate_after_max_ms = int64_t(366) * 24 * 3600 * 1000;

} // namespace

std::optional<std::string> api::parse_escalation(const json& spec, pending_escalation& out) const {
  if (!spec.is_object())
    return "\"escalate\" must be an object {\"after\",\"sink\",\"to\",\"text\"}";
  auto after = string_field(spec, "after");
  auto d = after ? config::parse_duration(*after) : std::nullopt;
  if (!d || d->count() <= 0 || d->count() > escalate_after_max_ms)
    return "\"escalate.after\" must be a duration such as \"2m\", above 0 and at most 366 days";
  auto sink = string_field(spec, "sink");
  const config::sink_config* found = nullptr;
  for (auto& s : cfg_.sinks)
    if (sink && s.name == *sink)
      found = &s;
  if (!found)
    return "\"escalate.sink\" must name a configured sink";
  std::string why;
  auto to = spec.contains("to") ? notify_recipient(spec["to"], *found, why) : std::nullopt;
  if (!to)
    return "escalate: " + (why.empty() ? std::string("\"to\" is required") : why);
  auto text = string_field(spec, "text");
  if (!text || text->size() > 65536)
    return "\"escalate.text\" must be a string of at most 65536 bytes";
  out.after_ms = d->count();
  out.require_opt_in = found->require_opt_in;
  out.job.sink = *sink;
  out.job.to = *to;
  out.job.text = *text;
  return std::nullopt;
}

void api::escalate(pending_escalation e, const std::string& event_id, const std::string& data,
                   json answer, std::function<void(json)> done) {
  if (!queue_) {
    answer["escalation"] = {{"error", "the queue is not running"}};
    return done(std::move(answer));
  }
  auto now = wall_ms();
  auto& j = e.job;
  j.id = make_id("j-");
  j.data = data;
  j.created_ms = now;
  j.run_at_ms = now + e.after_ms;
  j.state = persistence::job_state::delayed;
  j.escalates = event_id;
  for (auto& sink : cfg_.sinks)
    if (sink.name == j.sink && sink.kind == "webpush" &&
        webpush_payload(j).size() > webpush_plaintext_max) {
      answer["escalation"] = {{"error", "the event's data does not fit in one push"},
                              {"status", 400}};
      return done(std::move(answer));
    }
  auto due = j.run_at_ms;
  submit_notify(std::move(j), e.require_opt_in,
                [answer = std::move(answer), done, due](int status, std::string text) mutable {
                  auto reply = parse_json(text);
                  if (status == 202 && reply.is_object() && reply.contains("job_id"))
                    answer["escalation"] = {
                        {"job_id", reply["job_id"]},
                        {"due_at", rfc3339(std::chrono::system_clock::time_point(
                                       std::chrono::milliseconds(due)))}};
                  else
                    answer["escalation"] = {{"error", reply.is_object() && reply.contains("error")
                                                          ? reply["error"]
                                                          : json("the escalation was not stored")},
                                            {"status", status}};
                  done(std::move(answer));
                });
}

} // namespace herald::net
