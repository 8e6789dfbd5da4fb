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

std::vector<inbox_item> memory_store::inbox_pending(const std::string& user, int64_t now_ms,
                                                    const std::string& after_event) {
  std::vector<inbox_item> out;
  auto it = inboxes_.find(user);
  if (it == inboxes_.end())
    return out;
  auto after = cursor(user);
  if (!after_event.empty())
    for (auto& item : it->second)
      if (item.event_id == after_event)
        after = item.pos;
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
  for (auto it = history_.begin(); it != history_.end();) {
    auto& h = it->second;
    while (!h.items.empty() && h.items.front().created_ms < now_ms - h.ttl_ms)
      h.items.pop_front();
    it = h.forget_at_ms < now_ms ? history_.erase(it) : std::next(it);
  }
}

memory_store::channel_history& memory_store::history_of(const std::string& channel, int64_t now_ms,
                                                        const history_rule& rule) {
  auto& h = history_[channel];
  h.ttl_ms = rule.ttl.count();
  h.forget_at_ms = std::max(h.forget_at_ms, now_ms + rule.meta_ttl.count());
  return h;
}

history_position memory_store::history_append(const std::string& channel,
                                              const std::string& event_id, const std::string& tail,
                                              int64_t now_ms, const history_rule& rule) {
  auto& h = history_of(channel, now_ms, rule);
  h.items.push_back({++h.top, event_id, tail, now_ms});
  while (h.items.size() > rule.size)
    h.items.pop_front();
  return {h.top, h.epoch};
}

history_page memory_store::history_read(const std::string& channel, uint64_t after, size_t limit,
                                        int64_t now_ms, const history_rule& rule) {
  auto& h = history_of(channel, now_ms, rule);
  history_page page{h.epoch, h.top, {}};
  for (auto& item : h.items)
    if (item.offset > after && item.created_ms >= now_ms - rule.ttl.count() &&
        page.items.size() < limit)
      page.items.push_back(item);
  return page;
}

} // namespace herald::persistence

namespace herald::persistence {

namespace {
bool due(const job& j, int64_t now_ms) {
  return ((j.state == job_state::waiting || j.state == job_state::delayed) &&
          j.run_at_ms <= now_ms) ||
         (j.state == job_state::active && j.lease_until_ms < now_ms);
}
} // namespace

void memory_store::job_add(const job& j) {
  jobs_[j.id] = j;
}

std::vector<job> memory_store::job_claim(const std::string& sink, size_t max, int64_t now_ms,
                                         int64_t lease_until_ms) {
  std::vector<job*> ready;
  for (auto& [id, j] : jobs_)
    if (j.sink == sink && due(j, now_ms))
      ready.push_back(&j);
  std::sort(ready.begin(), ready.end(), [](const job* a, const job* b) {
    return std::tie(a->priority, a->run_at_ms, a->created_ms, a->id) <
           std::tie(b->priority, b->run_at_ms, b->created_ms, b->id);
  });
  std::vector<job> out;
  for (auto* j : ready) {
    if (out.size() >= max)
      break;
    j->state = job_state::active;
    j->lease_until_ms = lease_until_ms;
    out.push_back(*j);
  }
  return out;
}

void memory_store::job_finish(const std::string& id) {
  jobs_.erase(id);
}

void memory_store::job_reschedule(const std::string& id, uint32_t attempts, int64_t run_at_ms,
                                  const std::string& error) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.state == job_state::dead)
    return;
  it->second.state = job_state::delayed;
  it->second.attempts = attempts;
  it->second.run_at_ms = run_at_ms;
  if (!error.empty())
    it->second.last_error = error;
}

bool memory_store::job_bury(const std::string& id, uint32_t attempts, const std::string& error,
                            int64_t failed_at_ms, uint64_t dlq_max) {
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return true;
  if (job_count(0).dead >= dlq_max)
    return false;
  it->second.state = job_state::dead;
  it->second.attempts = attempts;
  it->second.last_error = error;
  it->second.failed_at_ms = failed_at_ms;
  return true;
}

job_counts memory_store::job_count(int64_t now_ms) {
  job_counts c;
  for (auto& [id, j] : jobs_)
    switch (j.state) {
      case job_state::waiting:
      case job_state::delayed:
        ++(j.run_at_ms > now_ms ? c.delayed : c.waiting);
        break;
      case job_state::active:
        ++c.active;
        break;
      case job_state::dead:
        ++c.dead;
        break;
    }
  return c;
}

std::vector<job> memory_store::dlq_list(size_t limit, size_t offset) {
  std::vector<job> out;
  for (auto& [id, j] : jobs_)
    if (j.state == job_state::dead)
      out.push_back(j);
  std::sort(out.begin(), out.end(),
            [](const job& a, const job& b) { return a.failed_at_ms > b.failed_at_ms; });
  out.erase(out.begin(), out.begin() + long(std::min(offset, out.size())));
  if (out.size() > limit)
    out.resize(limit);
  return out;
}

std::optional<job> memory_store::dlq_retry(const std::string& id, int64_t now_ms) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.state != job_state::dead)
    return std::nullopt;
  auto& j = it->second;
  j.state = job_state::waiting;
  j.attempts = 0;
  j.run_at_ms = now_ms;
  j.failed_at_ms = 0;
  return j;
}

bool memory_store::dlq_delete(const std::string& id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.state != job_state::dead)
    return false;
  jobs_.erase(it);
  return true;
}

void memory_store::optin_set(const std::string& sink, const std::string& to, bool on) {
  if (on)
    optins_.insert({sink, to});
  else
    optins_.erase({sink, to});
}

bool memory_store::optin_has(const std::string& sink, const std::string& to) {
  return optins_.count({sink, to}) > 0;
}

} // namespace herald::persistence
