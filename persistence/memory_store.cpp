#include "persistence/memory_store.hpp"

#include <algorithm>

namespace herald::persistence {

inbox_pos memory_store::inbox_append(const std::string& user, const std::string& event_id,
                                     const std::string& tail, int64_t now_ms) {
  auto& box = inboxes_[user];
  inbox_pos pos{next_++, 0};
  box.push_back({pos, event_id, tail, now_ms});
  while (box.size() > limits_.max_events)
    box.pop_front();
  return pos;
}

std::vector<inbox_item> memory_store::inbox_pending(const std::string& user, int64_t now_ms) {
  std::vector<inbox_item> out;
  auto it = inboxes_.find(user);
  if (it == inboxes_.end())
    return out;
  auto after = cursor(user);
  auto oldest = now_ms - limits_.ttl.count();
  for (auto& item : it->second)
    if (after < item.pos && item.created_ms >= oldest)
      out.push_back(item);
  return out;
}

void memory_store::cursor_advance(const std::string& user, inbox_pos pos) {
  auto& c = cursors_[user];
  c = std::max(c, pos);
}

inbox_pos memory_store::cursor(const std::string& user) {
  auto it = cursors_.find(user);
  return it == cursors_.end() ? inbox_pos{} : it->second;
}

void memory_store::expire(int64_t now_ms) {
  auto oldest = now_ms - limits_.ttl.count();
  for (auto it = inboxes_.begin(); it != inboxes_.end();) {
    auto& box = it->second;
    while (!box.empty() && box.front().created_ms < oldest)
      box.pop_front();
    it = box.empty() ? inboxes_.erase(it) : std::next(it);
  }
}

} // namespace herald::persistence
