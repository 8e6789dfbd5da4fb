#pragma once
// One line per event on stderr: "<time> <LEVEL> [<component>] <message>".
// Each line goes out in a single write(2), so lines from threads never interleave.
#include <string>
#include <string_view>

namespace herald::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(level lv);
bool parse_level(std::string_view text, level& out);
bool enabled(level lv);
void write(level lv, std::string_view component, std::string_view message);

inline void debug(std::string_view c, std::string_view m) {
  write(level::debug, c, m);
}
inline void info(std::string_view c, std::string_view m) {
  write(level::info, c, m);
}
inline void warn(std::string_view c, std::string_view m) {
  write(level::warn, c, m);
}
inline void error(std::string_view c, std::string_view m) {
  write(level::error, c, m);
}

} // namespace herald::log
