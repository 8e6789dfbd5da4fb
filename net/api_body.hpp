#pragma once
// Reading an API request's JSON body (docs/http-api.md).
#include "config/text.hpp"
#include "net/api.hpp"

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <vector>

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

// A batch's results, answered once every item's is in; items answer on
// other threads, in any order.
class batch_results {
public:
  batch_results(size_t items, std::function<void(api_response)> respond)
      : results_(items), respond_(std::move(respond)) {}
  // Before start(): an item answered at once (refused, say).
  void set(size_t i, nlohmann::json result) { results_[i] = std::move(result); }
  // `pending` items will put() their result; none: answers now.
  void start(size_t pending) {
    left_ = pending;
    if (pending == 0)
      answer();
  }
  void put(size_t i, nlohmann::json result) {
    std::unique_lock<std::mutex> lock(m_);
    results_[i] = std::move(result);
    if (--left_ > 0)
      return;
    lock.unlock();
    answer();
  }

private:
  void answer() { respond_({200, json_text(nlohmann::json{{"results", results_}})}); }
  std::mutex m_;
  std::vector<nlohmann::json> results_;
  size_t left_ = 0;
  std::function<void(api_response)> respond_;
};

// A user id as the API takes it: 1–200 bytes of UTF-8.
inline bool valid_user(const std::string& user) {
  return !user.empty() && user.size() <= 200 && valid_utf8(user);
}

} // namespace herald::net
