#pragma once
// Where an event sits in a user's inbox. Backends fill it their own way
// (SQLite: the row id; Redis Streams: the entry id "<ms>-<seq>"), and every
// position compares correctly with another of the same backend.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace herald::persistence {

struct inbox_pos {
  uint64_t major = 0;
  uint64_t minor = 0;

  bool empty() const { return major == 0 && minor == 0; }
  friend bool operator<(const inbox_pos& a, const inbox_pos& b) {
    return std::tie(a.major, a.minor) < std::tie(b.major, b.minor);
  }
  friend bool operator==(const inbox_pos& a, const inbox_pos& b) {
    return a.major == b.major && a.minor == b.minor;
  }
  friend bool operator<=(const inbox_pos& a, const inbox_pos& b) { return !(b < a); }

  // "<major>-<minor>", the shape of a Redis stream id.
  std::string to_string() const { return std::to_string(major) + "-" + std::to_string(minor); }
  static std::optional<inbox_pos> parse(const std::string& text);
};

} // namespace herald::persistence
