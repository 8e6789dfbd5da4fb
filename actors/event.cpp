#include "actors/event.hpp"
#include "actors/registry_types.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"

#include <nlohmann/json.hpp>

#include <sys/random.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>
#include <system_error>

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

event_frame restore_event(std::string id, std::string tail, persistence::inbox_pos pos,
                          int64_t made_ns) {
  auto d = std::make_shared<event_data>();
  d->id = std::move(id);
  d->tail = std::move(tail);
  d->pos = pos;
  d->made_ns = made_ns ? made_ns : steady_now_ns();
  return event_frame{std::move(d)};
}

namespace {

std::string history_tail(const std::string& tail, const persistence::history_position& at) {
  std::string out = ",\"offset\":";
  out += std::to_string(at.offset);
  out += ",\"epoch\":";
  out += json_text(at.epoch);
  out += tail;
  return out;
}

} // namespace

event_frame restore_history_event(std::string id, std::string tail, std::string channel,
                                  persistence::history_position at) {
  auto d = std::make_shared<event_data>();
  d->id = std::move(id);
  d->tail = std::move(tail);
  d->made_ns = steady_now_ns();
  d->channel = std::move(channel);
  d->history = std::move(at);
  return event_frame{std::move(d)};
}

event_frame in_history(const event_frame& ev, const std::string& channel,
                       const persistence::history_position& at) {
  auto d = std::make_shared<event_data>(*ev.data);
  d->tail = history_tail(ev.data->tail, at);
  d->channel = channel;
  d->history = at;
  return event_frame{std::move(d)};
}

event_frame from_history(const std::string& channel, const std::string& epoch,
                         persistence::history_item item) {
  persistence::history_position at{item.offset, epoch};
  auto tail = history_tail(item.tail, at);
  return restore_history_event(std::move(item.event_id), std::move(tail), channel, std::move(at));
}

// From the kernel's CSPRNG (getrandom), a block at a time per thread: ids and
// resume tokens cannot be predicted from ones a client has seen.
uint64_t random_u64() {
  thread_local uint64_t block[64];
  thread_local size_t left = 0;
  if (left == 0) {
    size_t got = 0;
    while (got < sizeof block) {
      auto n = ::getrandom(reinterpret_cast<char*>(block) + got, sizeof block - got, 0);
      if (n > 0)
        got += static_cast<size_t>(n);
      else if (errno != EINTR)
        throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    left = 64;
  }
  return block[--left];
}

std::string random_hex(size_t words) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t w = 0; w < words; ++w) {
    auto n = random_u64();
    for (int i = 0; i < 16; ++i, n >>= 4)
      out += hex[n & 15];
  }
  return out;
}

std::string make_id(const char* prefix) {
  return prefix + random_hex(1);
}

event_frame make_control_frame(std::string frame) {
  auto d = std::make_shared<event_data>();
  d->id = make_id("e-");
  d->made_ns = steady_now_ns();
  d->tail = std::move(frame);
  d->control = true;
  return event_frame{std::move(d)};
}

event_frame make_event(const std::string& channel, const std::string& event,
                       const std::string& data_json) {
  auto d = std::make_shared<event_data>();
  d->id = make_id("e-");
  d->made_ns = steady_now_ns();
  std::string tail;
  tail.reserve(64 + channel.size() + event.size() + data_json.size());
  tail += ",\"id\":";
  tail += json_text(d->id);
  tail += ",\"channel\":";
  tail += json_text(channel);
  tail += ",\"event\":";
  tail += json_text(event);
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
