#include "actors/registry/presence_book.hpp"

namespace herald {

bool anonymous_user(const std::string& user) {
  return user.rfind("anon:", 0) == 0;
}

const presence_book::user* presence_book::find(const std::string& name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}

void presence_book::add_session(const std::string& name, session_id id, int64_t now_ns) {
  users_[name].sessions.insert(id);
  seen(name, now_ns);
}

void presence_book::remove_session(const std::string& name, session_id id) {
  auto it = users_.find(name);
  if (it == users_.end())
    return;
  it->second.sessions.erase(id);
  // Nobody asks for an anonymous user's presence later, so it is not kept
  // for presence.retain (anonymous churn cannot fill the map).
  if (it->second.sessions.empty() && anonymous_user(name))
    users_.erase(it);
}

uint64_t presence_book::attached_changed(const std::string& name, bool attached) {
  auto& u = users_[name];
  if (attached) {
    if (u.attached++ == 0)
      ++online_;
  } else if (u.attached > 0 && --u.attached == 0) {
    --online_;
  }
  return u.attached;
}

void presence_book::seen(const std::string& name, int64_t now_ns) {
  auto& u = users_[name];
  u.last_seen_ns = now_ns;
  u.last_seen_wall = std::chrono::system_clock::now();
}

void presence_book::prune(int64_t now_ns, int64_t retain_ns, uint64_t max_users) {
  auto cutoff = now_ns - retain_ns;
  for (auto it = users_.begin(); it != users_.end();) {
    if (it->second.sessions.empty() && it->second.last_seen_ns < cutoff)
      it = users_.erase(it);
    else
      ++it;
  }
  while (users_.size() > max_users) {
    auto oldest = users_.end();
    for (auto it = users_.begin(); it != users_.end(); ++it)
      if (it->second.sessions.empty() &&
          (oldest == users_.end() || it->second.last_seen_ns < oldest->second.last_seen_ns))
        oldest = it;
    if (oldest == users_.end())
      break;
    users_.erase(oldest);
  }
}

} // namespace herald
