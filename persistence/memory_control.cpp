// The memory store's part for the control API: idempotency keys, receipts.
#include "persistence/memory_store.hpp"

#include <algorithm>

namespace herald::persistence {

std::vector<inbox_item> memory_store::inbox_all(const std::string& user, int64_t now_ms) {
  std::vector<inbox_item> out;
  auto it = inboxes_.find(user);
  if (it == inboxes_.end())
    return out;
  auto oldest = now_ms - limits_.ttl.count();
  for (auto& item : it->second)
    if (item.created_ms >= oldest)
      out.push_back(item);
  return out;
}

std::optional<std::pair<std::string, inbox_item>>
memory_store::inbox_event(const std::string& event_id, int64_t now_ms) {
  auto oldest = now_ms - limits_.ttl.count();
  for (auto& [user, box] : inboxes_) // tests only: a scan is enough
    for (auto& item : box)
      if (item.event_id == event_id && item.created_ms >= oldest)
        return std::make_pair(user, item);
  return std::nullopt;
}

std::optional<std::string> memory_store::idempotency_claim(const std::string& key, int64_t now_ms,
                                                           int64_t window_ms) {
  while (!idempotency_expiry_.empty() && idempotency_expiry_.front().first <= now_ms) {
    auto it = idempotency_.find(idempotency_expiry_.front().second);
    if (it != idempotency_.end() && it->second.expires_ms <= now_ms)
      idempotency_.erase(it);
    idempotency_expiry_.pop_front();
  }
  auto it = idempotency_.find(key);
  if (it != idempotency_.end())
    return it->second.answer;
  idempotency_[key] = {"", now_ms + window_ms};
  idempotency_expiry_.emplace_back(now_ms + window_ms, key);
  return std::nullopt;
}

void memory_store::idempotency_keep(const std::string& key, const std::string& answer,
                                    int64_t now_ms, int64_t window_ms) {
  idempotency_[key] = {answer, now_ms + window_ms};
  idempotency_expiry_.emplace_back(now_ms + window_ms, key);
}

void memory_store::idempotency_release(const std::string& key) {
  idempotency_.erase(key);
}

void memory_store::receipt_delivered(const std::string& event_id,
                                     const std::vector<receipt_record::delivery>& sessions) {
  auto& list = deliveries_[event_id];
  if (list.empty()) {
    delivery_order_.push_back(event_id);
    // As many receipts as the inboxes could hold events of, roughly.
    if (delivery_order_.size() > limits_.max_events * 64) {
      deliveries_.erase(delivery_order_.front());
      delivery_order_.pop_front();
    }
  }
  for (auto& d : sessions) {
    bool known = std::any_of(list.begin(), list.end(),
                             [&](auto& have) { return have.session == d.session; });
    if (!known && list.size() < receipt_deliveries_max)
      list.push_back(d);
  }
}

void memory_store::receipt_acked(const std::string& user, inbox_pos pos, int64_t at_ms) {
  auto& log = acks_[user];
  if (!log.empty() && pos <= log.rbegin()->first)
    return; // the cursor did not move: an earlier entry already covers it
  log.emplace(pos, at_ms);
  while (log.size() > limits_.max_events)
    log.erase(log.begin());
}

receipt_record memory_store::receipt(const std::string& user, const std::string& event_id,
                                     inbox_pos pos) {
  receipt_record out;
  if (auto it = deliveries_.find(event_id); it != deliveries_.end())
    out.delivered = it->second;
  if (auto it = acks_.find(user); it != acks_.end())
    if (auto at = it->second.lower_bound(pos); at != it->second.end())
      out.acked_ms = at->second;
  return out;
}

void memory_store::escalation_put(const std::string& event_id, const escalation_record& e) {
  auto [it, fresh] = escalations_.insert_or_assign(event_id, e);
  if (!fresh)
    return;
  escalation_order_.push_back(event_id);
  if (escalation_order_.size() > limits_.max_events * 64) {
    escalations_.erase(escalation_order_.front());
    escalation_order_.pop_front();
  }
}

std::optional<escalation_record> memory_store::escalation_get(const std::string& event_id) {
  if (auto it = escalations_.find(event_id); it != escalations_.end())
    return it->second;
  return std::nullopt;
}

} // namespace herald::persistence
