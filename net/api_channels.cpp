// The channel routes (docs/http-api.md): GET /api/v1/history/{channel} and
// GET /api/v1/channels/{channel}/presence.
#include "net/api.hpp"

#include "actors/channel_policy.hpp"
#include "actors/registry_client.hpp"
#include "config/text.hpp"
#include "net/query_params.hpp"
#include "net/upgrade.hpp"

#include <nlohmann/json.hpp>

namespace herald::net {

namespace {

constexpr uint64_t history_limit_max = 1000;
constexpr uint64_t history_limit_default = 100;
constexpr std::string_view history_prefix = "/api/v1/history/";
constexpr std::string_view channels_prefix = "/api/v1/channels/";
constexpr std::string_view presence_suffix = "/presence";

// {"channel","epoch","offset","events":[…]}: each event as its frame shows
// it, built from the kept bytes without parsing them again.
std::string history_body(const std::string& channel, const persistence::history_page& page) {
  std::string out = "{\"channel\":" + json_text(channel) + ",\"epoch\":" + json_text(page.epoch) +
                    ",\"offset\":" + std::to_string(page.top) + ",\"events\":[";
  bool first = true;
  for (auto& item : page.items) {
    if (!first)
      out += ',';
    first = false;
    out += "{\"offset\":" + std::to_string(item.offset) + ",\"epoch\":" + json_text(page.epoch);
    out += item.tail; // ",\"id\":…}"
  }
  out += "]}";
  return out;
}

} // namespace

bool api::handle_channels(const api_request& req, std::function<void(api_response)>& respond) {
  const std::string& p = req.path;
  bool history = p.rfind(history_prefix, 0) == 0;
  bool presence =
      p.rfind(channels_prefix, 0) == 0 &&
      p.size() > channels_prefix.size() + presence_suffix.size() &&
      p.compare(p.size() - presence_suffix.size(), presence_suffix.size(), presence_suffix) == 0;
  if (!history && !presence)
    return false;
  if (!authorized(req)) {
    respond(json_error(401, "missing or wrong API key (Authorization: Bearer <key>)"));
    return true;
  }
  if (req.method != "GET") {
    respond(json_error(405, "use GET"));
    return true;
  }
  auto raw = history ? p.substr(history_prefix.size())
                     : p.substr(channels_prefix.size(),
                                p.size() - channels_prefix.size() - presence_suffix.size());
  auto channel = decode_path_segment(raw);
  if (check_channel_name(channel) == channel_check::bad_name) {
    respond(json_error(400, "a channel name is 1 to 200 bytes of UTF-8"));
    return true;
  }
  if (history)
    channel_history(channel, req.query, std::move(respond));
  else
    channel_presence(channel, std::move(respond));
  return true;
}

void api::channel_history(const std::string& channel, const std::string& query,
                          std::function<void(api_response)> respond) {
  if (!registry_.channel(channel).has_history())
    return respond(json_error(404, "this channel keeps no history ([[channels]] history_size)"));
  auto params = parse_query(query);
  uint64_t since = 0, limit = history_limit_default;
  if (!number_param(params, "since", 0, INT64_MAX, since) ||
      !number_param(params, "limit", 1, history_limit_max, limit))
    return respond(json_error(400, "since is an offset ≥ 0 and limit 1 to " +
                                       std::to_string(history_limit_max)));
  registry_.history(channel, since, limit,
                    [channel, respond](std::optional<persistence::history_page> page) {
                      if (!page)
                        return respond(json_error(503, "the store did not answer"));
                      api_response r;
                      r.status = 200;
                      r.body = history_body(channel, *page);
                      respond(std::move(r));
                    });
}

void api::channel_presence(const std::string& channel, std::function<void(api_response)> respond) {
  if (!registry_.channel(channel).presence)
    return respond(json_error(404, "presence is off for this channel ([[channels]] presence)"));
  registry_.channel_presence(channel, [channel, respond](std::optional<channel_members> m) {
    if (!m)
      return respond(json_error(503, "the registry did not answer"));
    auto users = nlohmann::json::array();
    uint64_t sessions = 0;
    for (auto& [user, count] : m->users) {
      users.push_back({{"user", user}, {"sessions", count}});
      sessions += count;
    }
    api_response r;
    r.status = 200;
    r.body = json_text({{"channel", channel}, {"sessions", sessions}, {"users", users}});
    respond(std::move(r));
  });
}

} // namespace herald::net
