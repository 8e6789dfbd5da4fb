#include "actors/client_frame.hpp"

#include "config/text.hpp"

#include <nlohmann/json.hpp>

namespace herald {

namespace {

client_frame invalid(client_error code, std::string message) {
  client_frame f;
  f.error = code;
  f.error_message = std::move(message);
  return f;
}

client_frame with_arg(client_frame::kind k, std::string arg) {
  client_frame f;
  f.type = k;
  f.arg = std::move(arg);
  return f;
}

bool read_since(const nlohmann::json& j, history_since& out) {
  if (!j.is_object())
    return false;
  auto offset = j.find("offset");
  auto epoch = j.find("epoch");
  if (offset == j.end() || !offset->is_number_unsigned() || epoch == j.end() || !epoch->is_string())
    return false;
  auto& e = epoch->get_ref<const std::string&>();
  if (e.empty() || e.size() > 64)
    return false;
  out.given = true;
  out.at = {offset->get<uint64_t>(), e};
  return true;
}

} // namespace

client_frame decode_client_frame(std::string_view text) {
  // The frame clients send most often, in the form they send it: no parse.
  if (text == R"({"type":"ping"})")
    return with_arg(client_frame::kind::ping, {});
  auto j = parse_json(text);
  if (j.is_discarded())
    return invalid(client_error::bad_json,
                   "the frame is not valid JSON (or nests deeper than server.max_json_depth)");
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return invalid(client_error::bad_frame, "a frame is a JSON object with a string \"type\"");
  auto type = j["type"].get<std::string>();
  auto string_field = [&](const char* key) -> const std::string* {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  if (type == client_type::ping)
    return with_arg(client_frame::kind::ping, {});
  if (type == client_type::subscribe || type == client_type::unsubscribe) {
    auto channel = string_field("channel");
    if (!channel)
      return invalid(client_error::bad_frame, type + " needs a string \"channel\"");
    auto f = with_arg(type == client_type::subscribe ? client_frame::kind::subscribe
                                                     : client_frame::kind::unsubscribe,
                      *channel);
    if (auto since = j.find("since"); since != j.end() && type == client_type::subscribe) {
      if (!read_since(*since, f.since))
        return invalid(client_error::bad_frame,
                       "since is {\"offset\":<integer ≥ 0>,\"epoch\":<string of 1–64 bytes>}");
    }
    return f;
  }
  if (type == client_type::ack) {
    auto id = string_field("id");
    if (!id)
      return invalid(client_error::bad_frame, "ack needs a string \"id\"");
    return with_arg(client_frame::kind::ack, *id);
  }
  if (type == client_type::refresh) {
    auto token = string_field("token");
    if (!token || token->empty())
      return invalid(client_error::bad_frame, "refresh needs a non-empty string \"token\"");
    return with_arg(client_frame::kind::refresh, *token);
  }
  if (type == client_type::auth)
    return invalid(client_error::bad_frame, "auth comes only as the first frame of /ws?auth=frame");
  return invalid(client_error::unknown_type, "unknown frame type \"" + utf8_cut(type, 64) + "\"");
}

} // namespace herald
