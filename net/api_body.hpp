#pragma once
// Reading an API request's JSON body (docs/http-api.md).
#include "config/text.hpp"
#include "net/api.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace herald::net {

// The body as a JSON object; otherwise answers 400 and gives nothing.
inline std::optional<nlohmann::json>
json_object_body(const api_request& req, const std::function<void(api_response)>& respond) {
  auto body = parse_json(req.body);
  if (body.is_discarded()) {
    respond(json_error(400, "body is not valid JSON or nests deeper than server.max_json_depth"));
    return std::nullopt;
  }
  if (!body.is_object()) {
    respond(json_error(400, "body must be a JSON object"));
    return std::nullopt;
  }
  return body;
}

// body[key] when it is a string, else null.
inline const std::string* string_field(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// body[key] as a list of at most `max` entries (delivery.batch_max);
// otherwise answers 400 and gives null.
inline const nlohmann::json* batch_list(const nlohmann::json& body, const char* key, size_t max,
                                        const std::function<void(api_response)>& respond) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) {
    respond(json_error(400, std::string("\"") + key + "\" must be a list"));
    return nullptr;
  }
  if (it->size() > max) {
    respond(json_error(400, "more than delivery.batch_max (" + std::to_string(max) + ") " + key));
    return nullptr;
  }
  return &*it;
}

// A user id as the API takes it: 1–200 bytes of UTF-8.
inline bool valid_user(const std::string& user) {
  return !user.empty() && user.size() <= 200 && valid_utf8(user);
}

} // namespace herald::net
