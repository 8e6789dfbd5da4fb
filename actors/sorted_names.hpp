#pragma once
// A sorted vector of names used as a small set (a session's channels).
#include <algorithm>
#include <string>
#include <vector>

namespace herald {

inline bool has_name(const std::vector<std::string>& list, const std::string& name) {
  return std::binary_search(list.begin(), list.end(), name);
}

inline void add_name(std::vector<std::string>& list, const std::string& name) {
  auto at = std::lower_bound(list.begin(), list.end(), name);
  if (at == list.end() || *at != name)
    list.insert(at, name);
}

inline bool remove_name(std::vector<std::string>& list, const std::string& name) {
  auto at = std::lower_bound(list.begin(), list.end(), name);
  if (at == list.end() || *at != name)
    return false;
  list.erase(at);
  return true;
}

} // namespace herald
