#include "actors/event.hpp"
#include "config/time_format.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstring>
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
  auto d = std::make_shared<event_data>();
  d->id = make_id("e-");
  std::string tail;
  tail.reserve(64 + channel.size() + event.size() + data_json.size());
  tail += ",\"id\":";
  tail += nlohmann::json(d->id).dump();
  tail += ",\"channel\":";
  tail += nlohmann::json(channel).dump();
  tail += ",\"event\":";
  tail += nlohmann::json(event).dump();
  tail += ",\"data\":";
  tail += data_json;
  tail += ",\"ts\":\"";
  tail += rfc3339_now();
  tail += "\"}";
  d->tail = std::move(tail);
  return event_frame{std::move(d)};
}

out_frame event_out_frame(uint64_t seq, shared_bytes tail) {
  static constexpr std::string_view head = "{\"type\":\"event\",\"seq\":";
  out_frame f;
  char* p = f.prefix_begin();
  std::memcpy(p, head.data(), head.size());
  auto end = std::to_chars(p + head.size(), p + out_frame::max_prefix, seq).ptr;
  f.head_end = static_cast<uint8_t>(end - f.head);
  f.tail = std::move(tail);
  return f;
}

} // namespace herald
