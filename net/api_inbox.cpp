// A user's inbox and an event's receipt (docs/http-api.md):
// GET /api/v1/users/{user}/inbox, POST /api/v1/users/{user}/inbox/read,
// GET /api/v1/events/{id}.
#include "actors/clock.hpp"
#include "config/time_format.hpp"
#include "net/api.hpp"
#include "net/api_body.hpp"
#include "net/query_params.hpp"
#include "net/upgrade.hpp"
#include "persistence/history.hpp"
#include "persistence/store.hpp"

#include <memory>

namespace herald::net {

using nlohmann::json;

namespace {

constexpr std::string_view users_prefix = "/api/v1/users/";
constexpr std::string_view events_prefix = "/api/v1/events/";
constexpr uint64_t inbox_limit_default = 100;
constexpr uint64_t inbox_limit_max = 1000;

std::string time_text(int64_t ms) {
  return rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

// What GET …/inbox reads in one store job.
struct inbox_view {
  std::vector<persistence::inbox_item> items;
  persistence::inbox_pos cursor;
  bool after_found = true;
};

// {"user","unread","cursor","events":[{"read":bool,"id",…}]}: each event as
// its frame shows it, built from the kept bytes.
std::string inbox_body(const std::string& user, const inbox_view& v, const std::string& after,
                       size_t limit) {
  uint64_t unread = 0;
  std::string cursor_id;
  for (auto& item : v.items) {
    if (v.cursor < item.pos)
      ++unread;
    else
      cursor_id = item.event_id;
  }
  std::string out = "{\"user\":" + json_text(user) + ",\"unread\":" + std::to_string(unread) +
                    ",\"cursor\":" + (cursor_id.empty() ? "null" : json_text(cursor_id)) +
                    ",\"events\":[";
  bool started = after.empty(), first = true;
  size_t listed = 0;
  for (auto& item : v.items) {
    if (!started) {
      started = item.event_id == after;
      continue;
    }
    if (listed == limit)
      break;
    if (!persistence::well_formed_tail(item.tail))
      continue;
    out += first ? "" : ",";
    first = false;
    out += std::string("{\"read\":") + (v.cursor < item.pos ? "false" : "true") + item.tail;
    ++listed;
  }
  return out + "]}";
}

} // namespace

bool api::handle_inbox(const api_request& req, std::function<void(api_response)>& respond) {
  const std::string& p = req.path;
  bool users = p.rfind(users_prefix, 0) == 0, events = p.rfind(events_prefix, 0) == 0;
  if (!users && !events)
    return false;
  if (!authorized(req)) {
    respond(json_error(401, "missing or wrong API key (Authorization: Bearer <key>)"));
    return true;
  }
  if (events) {
    if (req.method != "GET")
      respond(json_error(405, "use GET"));
    else
      receipt(decode_path_segment(p.substr(events_prefix.size())), std::move(respond));
    return true;
  }
  // /api/v1/users/{user}/inbox[/read]
  auto rest = p.substr(users_prefix.size());
  auto slash = rest.find('/');
  auto user = decode_path_segment(rest.substr(0, slash));
  auto tail = slash == std::string::npos ? std::string() : rest.substr(slash);
  if (tail != "/inbox" && tail != "/inbox/read") {
    respond(json_error(404, "no such route"));
    return true;
  }
  if (!valid_user(user)) {
    respond(json_error(400, "the user must be 1 to 200 bytes of UTF-8"));
    return true;
  }
  auto wanted = tail == "/inbox" ? "GET" : "POST";
  if (req.method != wanted) {
    respond(json_error(405, std::string("use ") + wanted));
    return true;
  }
  if (tail == "/inbox")
    inbox_list(user, req.query, std::move(respond));
  else
    inbox_read(user, req, std::move(respond));
  return true;
}

void api::inbox_list(const std::string& user, const std::string& query,
                     std::function<void(api_response)> respond) {
  auto q = parse_query(query);
  uint64_t limit = inbox_limit_default;
  if (!number_param(q, "limit", 1, inbox_limit_max, limit))
    return respond(json_error(400, "limit must be an integer from 1 to 1000"));
  auto after = q["after"];
  if (after.size() > 64)
    return respond(json_error(400, "after is an event id (at most 64 bytes)"));
  auto view = std::make_shared<inbox_view>();
  bool posted = registry_.with_store(
      [user, after, view](persistence::store& s) {
        view->items = s.inbox_all(user, wall_ms());
        view->cursor = s.cursor(user);
        if (!after.empty())
          view->after_found = std::any_of(view->items.begin(), view->items.end(),
                                          [&](auto& item) { return item.event_id == after; });
      },
      [=](bool ok) {
        if (!ok)
          return respond(json_error(503, "the inbox could not be read"));
        if (!view->after_found)
          return respond(json_error(404, "after: the inbox holds no such event"));
        respond({200, inbox_body(user, *view, after, size_t(limit))});
      });
  if (!posted)
    respond(json_error(503, "the store is not taking work (storage.queue_max)"));
}

// {"up_to":"e-…"}: the cursor moves forward to it (never back); every
// session of the user on every node gets inbox_read.
void api::inbox_read(const std::string& user, const api_request& req,
                     std::function<void(api_response)> respond) {
  auto body = json_object_body(req, respond);
  if (!body)
    return;
  auto up_to = string_field(*body, "up_to");
  if (!up_to || up_to->empty() || up_to->size() > 64)
    return respond(json_error(400, "\"up_to\" must be an event id"));
  struct outcome {
    bool found = false, moved = false;
    std::string cursor_id;
    uint64_t unread = 0;
  };
  auto out = std::make_shared<outcome>();
  auto id = *up_to;
  auto& registry = registry_;
  bool posted = registry_.with_store(
      [user, id, out](persistence::store& s) {
        auto now = wall_ms();
        auto items = s.inbox_all(user, now);
        auto before = s.cursor(user);
        for (auto& item : items)
          if (item.event_id == id) {
            out->found = true;
            out->moved = before < item.pos;
            if (out->moved) {
              s.cursor_advance(user, item.pos);
              s.receipt_acked(user, item.pos, now);
            }
          }
        auto cursor = s.cursor(user);
        for (auto& item : items) {
          if (cursor < item.pos)
            ++out->unread;
          else
            out->cursor_id = item.event_id;
        }
      },
      [=, &registry](bool ok) {
        if (!ok)
          return respond(json_error(503, "the inbox could not be written"));
        if (!out->found)
          return respond(json_error(404, "up_to: the inbox holds no such event"));
        json answer{{"user", user},
                    {"cursor", out->cursor_id.empty() ? json(nullptr) : json(out->cursor_id)},
                    {"unread", out->unread},
                    {"moved", out->moved}};
        if (!out->moved)
          return respond({200, json_text(answer)});
        registry.command(user, {session_command::kind::inbox_read, id, 0},
                         [respond, answer](std::optional<uint64_t>) {
                           respond({200, json_text(answer)});
                         });
      });
  if (!posted)
    respond(json_error(503, "the store is not taking work (storage.queue_max)"));
}

// {"id","target","stored","delivered":[{"session","node","at"}],"acked_at","escalation"}.
void api::receipt(const std::string& id, std::function<void(api_response)> respond) {
  if (id.empty() || id.size() > 64 || !valid_utf8(id))
    return respond(json_error(400, "an event id is 1 to 64 bytes"));
  struct found {
    std::optional<std::pair<std::string, persistence::inbox_item>> event;
    persistence::receipt_record record;
    std::optional<persistence::escalation_record> escalation;
  };
  auto f = std::make_shared<found>();
  bool posted = registry_.with_store(
      [id, f](persistence::store& s) {
        f->event = s.inbox_event(id, wall_ms());
        if (f->event) {
          f->record = s.receipt(f->event->first, id, f->event->second.pos);
          f->escalation = s.escalation_get(id);
        }
      },
      [id, f, respond](bool ok) {
        if (!ok)
          return respond(json_error(503, "the receipt could not be read"));
        if (!f->event)
          return respond(
              json_error(404, "no such user event in any inbox (channel events have no receipt)"));
        json escalation = nullptr;
        if (auto& e = f->escalation) {
          escalation = {{"state", e->state},
                        {"sink", e->sink},
                        {"job_id", e->job_id},
                        {"due_at", time_text(e->due_ms)}};
          if (e->state == "cancelled")
            escalation["acked_at"] = time_text(e->at_ms);
          if (e->state == "notified")
            escalation["notified_at"] = time_text(e->at_ms);
        }
        json delivered = json::array();
        for (auto& d : f->record.delivered)
          delivered.push_back(
              {{"session", d.session}, {"node", d.node}, {"at", time_text(d.at_ms)}});
        respond({200, json_text(
                          json{{"id", id},
                               {"target", "user:" + f->event->first},
                               {"stored", true},
                               {"stored_at", time_text(f->event->second.created_ms)},
                               {"delivered", delivered},
                               {"acked_at", f->record.acked_ms ? json(time_text(f->record.acked_ms))
                                                               : json(nullptr)},
                               {"escalation", escalation}})});
      });
  if (!posted)
    respond(json_error(503, "the store is not taking work (storage.queue_max)"));
}

} // namespace herald::net
