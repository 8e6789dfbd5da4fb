#include "persistence/history.hpp"

#include "config/text.hpp"

#include <nlohmann/json.hpp>

#include <sys/random.h>

#include <cerrno>
#include <system_error>

namespace herald::persistence {

std::string new_epoch() {
  unsigned char bytes[8];
  size_t got = 0;
  while (got < sizeof bytes) {
    auto n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0)
      got += size_t(n);
    else if (errno != EINTR)
      throw std::system_error(errno, std::generic_category(), "getrandom");
  }
  return hex_text(bytes, sizeof bytes);
}

bool well_formed_tail(const std::string& tail) {
  if (tail.size() < 2 || tail[0] != ',')
    return false;
  return parse_json("{" + tail.substr(1)).is_object();
}

bool recovers(const history_position& since, const history_page& page) {
  if (since.epoch != page.epoch || since.offset > page.top)
    return false;
  if (page.items.empty())
    return since.offset == page.top;
  // The newest kept event is always the newest offset; anything else means
  // the read was cut short.
  return page.items.front().offset == since.offset + 1 && page.items.back().offset == page.top;
}

} // namespace herald::persistence
