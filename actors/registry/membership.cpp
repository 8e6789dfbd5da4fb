#include "actors/registry/membership.hpp"

#include <algorithm>

namespace herald {

membership::entry& membership::add(session_id id, std::string user, std::string resume_token,
                                   session_actor handle) {
  entry e;
  e.user = std::move(user);
  e.resume_token = std::move(resume_token);
  e.born = ++made_;
  e.roster_at = roster_.add(id, std::move(handle), false);
  return sessions_.emplace(id, std::move(e)).first->second;
}

std::string membership::remove(session_id id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    return {};
  set_attached(id, false);
  auto& e = it->second;
  while (!e.seats.empty())
    leave(id, e.seats.back().channel);
  if (auto moved = roster_.remove(e.roster_at))
    sessions_.at(*moved).roster_at = e.roster_at;
  auto user = std::move(e.user);
  sessions_.erase(it);
  return user;
}

membership::entry::seat* membership::seat_of(entry& e, const std::string& channel) {
  for (auto& s : e.seats)
    if (s.channel == channel)
      return &s;
  return nullptr;
}

void membership::join(session_id id, const std::string& channel) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || seat_of(it->second, channel))
    return;
  auto& m = roster_.at(it->second.roster_at);
  auto at = channels_[channel].add(id, m.handle, m.attached);
  it->second.seats.push_back({channel, at});
}

void membership::leave(session_id id, const std::string& channel) {
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    return;
  auto& e = it->second;
  auto seat = seat_of(e, channel);
  if (!seat)
    return;
  auto ch = channels_.find(channel);
  if (auto moved = ch->second.remove(seat->at))
    seat_of(sessions_.at(*moved), channel)->at = seat->at;
  if (ch->second.size() == 0)
    channels_.erase(ch);
  e.seats.erase(e.seats.begin() + (seat - e.seats.data()));
}

bool membership::set_attached(session_id id, bool attached) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || roster_.at(it->second.roster_at).attached == attached)
    return false;
  roster_.set_attached(it->second.roster_at, attached);
  for (auto& s : it->second.seats)
    channels_.at(s.channel).set_attached(s.at, attached);
  attached ? ++attached_ : --attached_;
  return true;
}

const membership::entry* membership::find(session_id id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

const session_roster::member* membership::member(session_id id) const {
  auto e = find(id);
  return e ? &roster_.at(e->roster_at) : nullptr;
}

const session_roster* membership::channel(const std::string& name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, uint64_t>> membership::channel_page(const std::string& prefix,
                                                                       const std::string& after,
                                                                       size_t limit,
                                                                       uint64_t& total) const {
  std::vector<std::pair<std::string, uint64_t>> match;
  total = 0;
  for (auto& [name, roster] : channels_)
    if (name.compare(0, prefix.size(), prefix) == 0) {
      ++total;
      if (name > after)
        match.emplace_back(name, roster.size());
    }
  auto end = match.begin() + static_cast<long>(std::min(limit, match.size()));
  std::partial_sort(match.begin(), end, match.end());
  match.erase(end, match.end());
  return match;
}

} // namespace herald
