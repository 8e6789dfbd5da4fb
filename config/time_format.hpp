#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// RFC 3339 UTC with milliseconds, e.g. "2026-11-23T10:07:29.123Z".
std::string rfc3339(std::chrono::system_clock::time_point t);
inline std::string rfc3339_now() {
  return rfc3339(std::chrono::system_clock::now());
}

// "2026-12-04T10:00:00Z", with optional fractional seconds and a "Z" or
// "±HH:MM" offset; nothing for anything else (or a year outside 1970–9999).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

} // namespace herald
