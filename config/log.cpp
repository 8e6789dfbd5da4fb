#include "config/log.hpp"
#include "config/text.hpp"
#include "config/time_format.hpp"

#include <atomic>
#include <unistd.h>

namespace herald::log {

namespace {
std::atomic<int> current{static_cast<int>(level::info)};
constexpr const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
} // namespace

void set_level(level lv) {
  current.store(static_cast<int>(lv));
}

bool parse_level(std::string_view text, level& out) {
  for (int i = 0; i < 4; ++i) {
    std::string lower = names[i];
    for (auto& ch : lower)
      ch = static_cast<char>(ch - 'A' + 'a');
    if (text == lower) {
      out = static_cast<level>(i);
      return true;
    }
  }
  return false;
}

bool enabled(level lv) {
  return static_cast<int>(lv) >= current.load(std::memory_order_relaxed);
}

void write(level lv, std::string_view component, std::string_view message) {
  if (!enabled(lv))
    return;
  std::string line = rfc3339_now();
  line += ' ';
  line += names[static_cast<int>(lv)];
  line += " [";
  line += component;
  line += "] ";
  line += escape_controls(message); // one event, one line, whatever a client sent
  line += '\n';
  auto rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

} // namespace herald::log
