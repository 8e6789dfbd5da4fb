#include "persistence/inbox_pos.hpp"

#include <cstdlib>

namespace herald::persistence {

std::optional<inbox_pos> inbox_pos::parse(const std::string& text) {
  auto dash = text.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == text.size())
    return std::nullopt;
  auto number = [](const std::string& s, uint64_t& out) {
    if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
      return false;
    char* end = nullptr;
    out = std::strtoull(s.c_str(), &end, 10);
    return *end == '\0';
  };
  inbox_pos p;
  if (!number(text.substr(0, dash), p.major) || !number(text.substr(dash + 1), p.minor))
    return std::nullopt;
  return p;
}

} // namespace herald::persistence
