#include "actors/event.hpp"
#include "config/time_format.hpp"

#include <nlohmann/json.hpp>

#include <random>

namespace herald {

std::string make_id(const char* prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out = prefix;
  auto n = rng();
  for (int i = 0; i < 16; ++i, n >>= 4)
    out += hex[n & 15];
  return out;
}

event_frame make_event(const std::string& channel, const std::string& event,
                       const std::string& data_json) {
  event_frame f;
  f.id = make_id("e-");
  std::string tail;
  tail.reserve(64 + channel.size() + event.size() + data_json.size());
  tail += ",\"id\":";
  tail += nlohmann::json(f.id).dump();
  tail += ",\"channel\":";
  tail += nlohmann::json(channel).dump();
  tail += ",\"event\":";
  tail += nlohmann::json(event).dump();
  tail += ",\"data\":";
  tail += data_json;
  tail += ",\"ts\":\"";
  tail += rfc3339_now();
  tail += "\"}";
  f.tail = std::make_shared<const std::string>(std::move(tail));
  return f;
}

std::string event_head(uint64_t seq) {
  std::string head = "{\"type\":\"event\",\"seq\":";
  head += std::to_string(seq);
  return head;
}

} // namespace herald
