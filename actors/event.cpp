#include "actors/event.hpp"
#include "actors/registry_types.hpp"
#include "config/time_format.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstring>
#include <random>

namespace herald {

std::string format_session_id(session_id id) {
  static const char* hex = "0123456789abcdef";
  std::string out = "s-";
  for (int shift = 60; shift >= 0; shift -= 4)
    out += hex[(id >> shift) & 15];
  return out;
}

std::optional<session_id> parse_session_id(const std::string& text) {
  if (text.size() != 18 || text.compare(0, 2, "s-") != 0)
    return std::nullopt;
  session_id id = 0;
  for (size_t i = 2; i < text.size(); ++i) {
    char c = text[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0)
      return std::nullopt;
    id = (id << 4) | static_cast<session_id>(v);
  }
  return id;
}

event_frame event_frame::stored_at(persistence::inbox_pos pos) const {
  return restore_event(data->id, data->tail, pos, data->made_ns);
}

event_frame restore_event(std::string id, std::string tail, persistence::inbox_pos pos, int64_t made_ns) {
  auto d = std::make_shared<event_data>();
  d->id = std::move(id);
  d->tail = std::move(tail);
  d->pos = pos;
  d->made_ns = made_ns ? made_ns : steady_now_ns();
  return event_frame{std::move(d)};
}

uint64_t random_u64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

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
  d->made_ns = steady_now_ns();
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
