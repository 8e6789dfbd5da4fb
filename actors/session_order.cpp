#include "actors/session_order.hpp"

#include <algorithm>
#include <tuple>

namespace herald {

namespace {
int64_t seen_ms(const actor_info& a) {
  if (!a.last_seen)
    return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(a.last_seen->time_since_epoch())
      .count();
}

bool before(const actor_info& a, const actor_info& b, session_sort sort) {
  switch (sort) {
    case session_sort::user:
      return std::tie(a.user, a.name) < std::tie(b.user, b.name);
    case session_sort::mailbox:
      return std::make_tuple(a.mailbox, a.outbound, a.name) <
             std::make_tuple(b.mailbox, b.outbound, b.name);
    case session_sort::outbound:
      return std::make_tuple(a.outbound, a.mailbox, a.name) <
             std::make_tuple(b.outbound, b.mailbox, b.name);
    case session_sort::last_seen:
      return std::make_tuple(seen_ms(a), a.name) < std::make_tuple(seen_ms(b), b.name);
    case session_sort::id:
      break;
  }
  return a.name < b.name;
}
} // namespace

void order_sessions(std::vector<actor_info>& sessions, const session_query& q) {
  std::sort(sessions.begin(), sessions.end(), [&](const actor_info& a, const actor_info& b) {
    return q.descending ? before(b, a, q.sort) : before(a, b, q.sort);
  });
  auto skip = std::min<size_t>(sessions.size(), size_t(q.offset));
  sessions.erase(sessions.begin(), sessions.begin() + long(skip));
  if (sessions.size() > q.limit)
    sessions.resize(size_t(q.limit));
}

} // namespace herald
