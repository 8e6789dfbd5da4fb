#pragma once
// Reading numbers from a decoded query string (parse_query in upgrade.hpp).
#include <cstdint>
#include <map>
#include <string>

namespace herald::net {

// `key` absent: true, `out` untouched. Present: true when it is a decimal
// integer in [lo, hi] (into `out`), false for anything else.
inline bool number_param(const std::map<std::string, std::string>& q, const char* key, uint64_t lo,
                         uint64_t hi, uint64_t& out) {
  auto it = q.find(key);
  if (it == q.end())
    return true;
  auto& v = it->second;
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoull(v);
  return out >= lo && out <= hi;
}

} // namespace herald::net
