// The server control API (docs/http-api.md): disconnect, subscribe and
// unsubscribe a user on every node, presence of many users, this node's channels.
#include "actors/channel_policy.hpp"
#include "actors/client_protocol.hpp"
#include "config/time_format.hpp"
#include "net/api.hpp"
#include "net/api_body.hpp"
#include "net/query_params.hpp"
#include "net/upgrade.hpp"

#include <memory>
#include <mutex>

namespace herald::net {

using nlohmann::json;

namespace {

constexpr uint64_t channels_limit_default = 100;
constexpr uint64_t channels_limit_max = 1000;
constexpr size_t reason_max = 120; // a close frame's reason is at most 123 bytes

api_response ok(const json& j) {
  return {200, json_text(j)};
}

} // namespace

bool api::handle_control(const api_request& req, std::function<void(api_response)>& respond) {
  const std::string& p = req.path;
  bool known = p == "/api/v1/disconnect" || p == "/api/v1/subscribe" ||
               p == "/api/v1/unsubscribe" || p == "/api/v1/presence" || p == "/api/v1/channels";
  if (!known)
    return false;
  if (!authorized(req)) {
    respond(json_error(401, "missing or wrong API key (Authorization: Bearer <key>)"));
    return true;
  }
  auto wanted = p == "/api/v1/channels" ? "GET" : "POST";
  if (req.method != wanted) {
    respond(json_error(405, std::string("use ") + wanted));
    return true;
  }
  if (p == "/api/v1/channels")
    list_channels(req.query, std::move(respond));
  else if (p == "/api/v1/presence")
    presence_many(req, std::move(respond));
  else
    command_user(req, std::move(respond));
  return true;
}

// disconnect, subscribe, unsubscribe: {"user",…} → every session of the user on every node.
void api::command_user(const api_request& req, std::function<void(api_response)> respond) {
  auto body = json_object_body(req, respond);
  if (!body)
    return;
  auto user = string_field(*body, "user");
  if (!user || !valid_user(*user))
    return respond(json_error(400, "\"user\" must be 1 to 200 bytes of UTF-8"));
  session_command command;
  if (req.path == "/api/v1/disconnect") {
    command.what = session_command::kind::disconnect;
    command.code = close_code::disconnected;
    if (auto it = body->find("code"); it != body->end()) {
      if (!it->is_number_unsigned() || *it < 3000 || *it > 4999)
        return respond(json_error(400, "\"code\" must be a close code from 3000 to 4999"));
      command.code = it->get<uint16_t>();
    }
    command.arg = "disconnected by the server";
    if (auto it = body->find("reason"); it != body->end()) {
      if (!it->is_string() || it->get<std::string>().size() > reason_max ||
          !valid_utf8(it->get<std::string>()))
        return respond(json_error(400, "\"reason\" must be UTF-8 of at most 120 bytes"));
      command.arg = it->get<std::string>();
    }
  } else {
    auto channel = string_field(*body, "channel");
    if (!channel)
      return respond(json_error(400, "\"channel\" must be a string"));
    switch (check_channel_name(*channel)) {
      case channel_check::ok:
        break;
      case channel_check::bad_name:
        return respond(json_error(400, "\"channel\" must be 1 to 200 bytes of UTF-8"));
      default:
        return respond(json_error(400, "\"" + utf8_clean(*channel) +
                                           "\" is reserved: user and server channels cannot be "
                                           "joined or left this way"));
    }
    command.what = req.path == "/api/v1/subscribe" ? session_command::kind::subscribe
                                                   : session_command::kind::unsubscribe;
    command.arg = *channel;
  }
  auto what = command.what;
  auto channel = command.arg;
  registry_.command(*user, std::move(command),
                    [respond, what, user = *user, channel](std::optional<uint64_t> n) {
                      if (!n)
                        return respond(json_error(503, "the registry did not answer"));
                      if (what == session_command::kind::disconnect)
                        return respond(ok({{"user", user}, {"disconnected", *n}}));
                      respond(ok({{"user", user}, {"channel", channel}, {"sessions", *n}}));
                    });
}

// {"users":[…]} → {"users":{"u1":{"connected","sessions","last_seen"},…}}, every node counted.
void api::presence_many(const api_request& req, std::function<void(api_response)> respond) {
  auto body = json_object_body(req, respond);
  if (!body)
    return;
  auto users = batch_list(*body, "users", static_cast<size_t>(cfg_.delivery.batch_max), respond);
  if (!users)
    return;
  std::vector<std::string> names;
  for (auto& u : *users) {
    if (!u.is_string() || !valid_user(u.get<std::string>()))
      return respond(json_error(400, "each user must be 1 to 200 bytes of UTF-8"));
    names.push_back(u.get<std::string>());
  }
  if (names.empty())
    return respond(ok({{"users", json::object()}}));
  // The answers come on CAF threads, in any order: gathered under a lock.
  struct gather {
    std::mutex m;
    json out = json::object();
    size_t left = 0;
    bool failed = false;
  };
  auto g = std::make_shared<gather>();
  g->left = names.size();
  for (auto& name : names)
    registry_.presence(name, [g, respond](std::optional<presence_info> info) {
      std::unique_lock<std::mutex> lock(g->m);
      if (!info)
        g->failed = true;
      else
        g->out[info->user] = {
            {"connected", info->connected},
            {"sessions", info->sessions},
            {"last_seen", info->last_seen ? json(rfc3339(*info->last_seen)) : json(nullptr)}};
      if (--g->left > 0)
        return;
      lock.unlock();
      if (g->failed)
        return respond(json_error(503, "the registry did not answer"));
      respond(ok({{"users", std::move(g->out)}}));
    });
}

// ?prefix=&after=&limit= → {"channels":[{"channel","sessions"}],"total","next"} on this node.
void api::list_channels(const std::string& query, std::function<void(api_response)> respond) {
  auto q = parse_query(query);
  uint64_t limit = channels_limit_default;
  if (!number_param(q, "limit", 1, channels_limit_max, limit))
    return respond(json_error(400, "limit must be an integer from 1 to 1000"));
  auto prefix = q["prefix"], after = q["after"];
  if (prefix.size() > 200 || after.size() > 200 || !valid_utf8(prefix) || !valid_utf8(after))
    return respond(json_error(400, "prefix and after are at most 200 bytes of UTF-8"));
  registry_.channels(prefix, after, limit, [respond, limit](std::optional<channel_page> page) {
    if (!page)
      return respond(json_error(503, "the registry did not answer"));
    json list = json::array();
    for (auto& [name, sessions] : page->channels)
      list.push_back({{"channel", name}, {"sessions", sessions}});
    json out{{"channels", list}, {"total", page->total}};
    out["next"] =
        page->channels.size() == limit ? json(page->channels.back().first) : json(nullptr);
    respond(ok(out));
  });
}

} // namespace herald::net
