#pragma once
// A Redis reply as plain data, so nothing outside redis_connection.cpp sees hiredis.
#include <cstdint>
#include <string>
#include <vector>

namespace herald::persistence {

struct redis_reply {
  enum class kind { nil, integer, string, status, error, array };
  kind type = kind::nil;
  int64_t integer = 0;
  std::string str; // string, status and error replies
  std::vector<redis_reply> elements;

  bool is_error() const { return type == kind::error; }
  bool is_nil() const { return type == kind::nil; }
};

using redis_command = std::vector<std::string>;

} // namespace herald::persistence
