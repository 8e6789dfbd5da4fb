// POST /api/v1/publish (with an idempotency_key) and POST /api/v1/publish/batch
// (docs/http-api.md).
#include "actors/channel_policy.hpp"
#include "actors/clock.hpp"
#include "actors/event.hpp"
#include "net/api.hpp"
#include "net/api_body.hpp"
#include "persistence/store.hpp"

#include <memory>
#include <mutex>

namespace herald::net {

using nlohmann::json;

namespace {

constexpr size_t idempotency_key_max = 200;

struct parsed_publish {
  publish_request request;
  std::string error; // set: the body is refused (400) with this reason
};

// A publish body → the request it asks for.
parsed_publish parse_publish(const json& body) {
  parsed_publish out;
  auto refuse = [&](std::string why) {
    out.error = std::move(why);
    return std::move(out);
  };
  if (!body.is_object())
    return refuse("a publish is a JSON object");
  auto& pr = out.request;
  int targets = 0;
  std::string channel;
  if (auto it = body.find("user"); it != body.end()) {
    if (!it->is_string() || !valid_user(it->get<std::string>()))
      return refuse("\"user\" must be 1 to 200 bytes of UTF-8");
    pr.target = publish_target::user;
    pr.name = it->get<std::string>();
    channel = user_channel(pr.name);
    ++targets;
  }
  if (auto it = body.find("channel"); it != body.end()) {
    if (!it->is_string())
      return refuse("\"channel\" must be a string");
    auto name = it->get<std::string>();
    auto check = check_channel_name(name);
    if (check == channel_check::bad_name)
      return refuse("\"channel\" must be 1 to 200 bytes of UTF-8");
    if (check == channel_check::reserved)
      return refuse("\"" + name +
                    "\" is reserved: use \"user\" or \"broadcast\" (herald.… is the server's)");
    pr.target = publish_target::channel;
    pr.name = channel = name;
    ++targets;
  }
  if (auto it = body.find("broadcast"); it != body.end()) {
    if (!it->is_boolean())
      return refuse("\"broadcast\" must be true");
    if (it->get<bool>()) {
      pr.target = publish_target::broadcast;
      channel = "broadcast";
      ++targets;
    }
  }
  if (targets != 1)
    return refuse("give exactly one of \"user\", \"channel\" or \"broadcast\": true");
  auto ev = string_field(body, "event");
  if (!ev || ev->empty() || ev->size() > 200)
    return refuse("\"event\" must be a non-empty string of at most 200 bytes");
  std::string data = "{}";
  if (auto it = body.find("data"); it != body.end())
    data = json_text(*it);
  pr.event = make_event(channel, *ev, data);
  return out;
}

json answer_of(const std::string& id, const publish_outcome& outcome, bool clustered) {
  json answer{{"id", id}, {"delivered", outcome.delivered}, {"stored", outcome.stored}};
  if (auto& ev = outcome.event; ev.data && ev.offset() > 0) {
    answer["offset"] = ev.offset();
    answer["epoch"] = ev.data->history.epoch;
  }
  if (clustered)
    answer["nodes"] = outcome.nodes;
  return answer;
}

} // namespace

void api::publish(const api_request& req, std::function<void(api_response)> respond) {
  auto body = json_object_body(req, respond);
  if (!body)
    return;
  auto parsed = parse_publish(*body);
  if (!parsed.error.empty())
    return respond(json_error(400, parsed.error));
  auto id = parsed.request.event.id();
  bool clustered = !registry_.node_id().empty();
  // With "escalate", the answer waits for the escalation to be stored too.
  std::function<void(const publish_outcome&, std::function<void(json)>)> answer =
      [id, clustered](const publish_outcome& out, std::function<void(json)> done) {
        done(answer_of(id, out, clustered));
      };
  if (auto it = body->find("escalate"); it != body->end()) {
    if (parsed.request.target != publish_target::user)
      return respond(json_error(400, "\"escalate\" is for publishes to a \"user\""));
    auto spec = std::make_shared<pending_escalation>();
    if (auto error = parse_escalation(*it, *spec))
      return respond(json_error(400, *error));
    auto data = body->contains("data") ? json_text((*body)["data"]) : std::string("{}");
    answer = [this, id, clustered, spec, data](const publish_outcome& out,
                                               std::function<void(json)> done) {
      if (!out.stored) {
        auto a = answer_of(id, out, clustered);
        a["escalation"] = {{"error", "the event was not stored, so nothing can be escalated"}};
        return done(std::move(a));
      }
      escalate(*spec, id, data, answer_of(id, out, clustered), std::move(done));
    };
  }
  auto key_field = body->find("idempotency_key");
  if (key_field == body->end()) {
    return registry_.publish(
        std::move(parsed.request), [respond, answer](std::optional<publish_outcome> outcome) {
          if (!outcome)
            return respond(json_error(503, "the registry did not answer"));
          answer(*outcome, [respond](json a) { respond({200, json_text(a)}); });
        });
  }
  if (!key_field->is_string() || key_field->get<std::string>().empty() ||
      key_field->get<std::string>().size() > idempotency_key_max)
    return respond(json_error(400, "\"idempotency_key\" must be 1 to 200 bytes"));
  // Claimed in the store (Redis: for every node), published once, its answer
  // kept for delivery.idempotency_window; the same key gets that answer again.
  auto key = key_field->get<std::string>();
  auto window =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.delivery.idempotency_window)
          .count();
  auto held = std::make_shared<std::optional<std::string>>();
  auto request = std::make_shared<publish_request>(std::move(parsed.request));
  auto& registry = registry_;
  bool posted = registry_.with_store(
      [key, window, held](persistence::store& s) {
        *held = s.idempotency_claim(key, wall_ms(), window);
      },
      [=, &registry](bool ok) {
        if (!ok)
          return respond(json_error(503, "the idempotency key could not be checked"));
        if (*held && !(*held)->empty())
          return respond({200, **held});
        if (*held)
          return respond(json_error(
              409, "a publish with this idempotency_key is in progress; ask again shortly"));
        registry.publish(std::move(*request), [=, &registry](std::optional<publish_outcome> out) {
          if (!out) {
            registry.with_store([key](persistence::store& s) { s.idempotency_release(key); },
                                [](bool) {});
            return respond(json_error(503, "the registry did not answer"));
          }
          answer(*out, [=, &registry](json a) {
            auto text = json_text(a);
            // Published either way: a key whose answer could not be kept
            // answers 409 until delivery.idempotency_window ends.
            bool kept = registry.with_store(
                [key, text, window](persistence::store& s) {
                  s.idempotency_keep(key, text, wall_ms(), window);
                },
                [respond, text](bool) {
                  respond({200, text});
                });
            if (!kept)
              respond({200, text});
          });
        });
      });
  if (!posted)
    respond(json_error(503, "the store is not taking work (storage.queue_max)"));
}

// {"items":[…]} → {"results":[answer or {"error"}…]} in order.
void api::publish_batch(const api_request& req, std::function<void(api_response)> respond) {
  auto body = json_object_body(req, respond);
  if (!body)
    return;
  auto items = batch_list(*body, "items", static_cast<size_t>(cfg_.delivery.batch_max), respond);
  if (!items)
    return;
  auto results = std::make_shared<batch_results>(items->size(), respond);
  std::vector<publish_request> batch;
  std::vector<registry_client::publish_done> done;
  bool clustered = !registry_.node_id().empty();
  for (size_t i = 0; i < items->size(); ++i) {
    auto& item = (*items)[i];
    auto parsed = parse_publish(item);
    if (parsed.error.empty() && item.contains("idempotency_key"))
      parsed.error = "idempotency_key is for single publishes";
    if (parsed.error.empty() && item.contains("escalate"))
      parsed.error = "escalate is for single publishes";
    if (!parsed.error.empty()) {
      results->set(i, {{"error", parsed.error}});
      continue;
    }
    auto id = parsed.request.event.id();
    batch.push_back(std::move(parsed.request));
    done.push_back([results, i, id, clustered](std::optional<publish_outcome> out) {
      results->put(i, out ? answer_of(id, *out, clustered)
                          : json{{"error", "the registry did not answer"}});
    });
  }
  results->start(batch.size());
  if (batch.empty())
    return;
  registry_.publish_batch(std::move(batch), std::move(done));
}

} // namespace herald::net
