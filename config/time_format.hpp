#pragma once
#include <chrono>
#include <string>

namespace herald {

// RFC 3339 UTC with milliseconds, e.g. "2026-11-23T10:07:29.123Z".
std::string rfc3339(std::chrono::system_clock::time_point t);
inline std::string rfc3339_now() {
  return rfc3339(std::chrono::system_clock::now());
}

} // namespace herald
