// The Redis store's part for the control API: idempotency keys
// `{prefix}idem:{key}` (SET NX PX: one node wins, across nodes), receipts
// `{prefix}receipt:{event id}` (a hash: session → "<node> <at ms>") and the
// ack log `{prefix}acks:{user}` (a sorted set by position).
#include "persistence/receipt_text.hpp"
#include "persistence/redis_store.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace herald::persistence {

namespace {

// KEYS[1] receipt hash; ARGV: max sessions, ttl ms, then session, "<node> <at>" pairs.
constexpr const char* deliver_script = R"lua(
local n = redis.call('HLEN', KEYS[1])
for i = 3, #ARGV - 1, 2 do
  if n >= tonumber(ARGV[1]) then break end
  n = n + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n
)lua";

// KEYS[1] ack log; ARGV: position "<major>-<minor>", at ms, max entries, ttl ms.
// Logged only past the newest entry: the log's positions only grow.
constexpr const char* ack_script = R"lua(
local last = redis.call('ZRANGE', KEYS[1], -1, -1)
local nm, ns = string.match(ARGV[1], '^(%d+)-(%d+)$')
nm, ns = tonumber(nm), tonumber(ns)
if last[1] then
  local lm, ls = string.match(last[1], '^(%d+)-(%d+) ')
  lm, ls = tonumber(lm), tonumber(ls)
  if nm < lm or (nm == lm and ns <= ls) then return 0 end
end
redis.call('ZADD', KEYS[1], nm, ARGV[1] .. ' ' .. ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1 - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
)lua";

// "<a> <b>" → (a, b); false when there is no space.
bool split_pair(const std::string& text, std::string& a, std::string& b) {
  auto space = text.find(' ');
  if (space == std::string::npos)
    return false;
  a = text.substr(0, space);
  b = text.substr(space + 1);
  return true;
}

int64_t number_or_zero(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::stoll(text);
}

} // namespace

std::vector<inbox_item> redis_store::inbox_all(const std::string& user, int64_t now_ms) {
  return inbox_after(user, {}, now_ms);
}

std::optional<std::pair<std::string, inbox_item>>
redis_store::inbox_event(const std::string& event_id, int64_t now_ms) {
  auto user = one({"GET", event_key(event_id)});
  if (user.is_nil() || user.str.empty())
    return std::nullopt;
  for (auto& item : inbox_after(user.str, {}, now_ms))
    if (item.event_id == event_id)
      return std::make_pair(user.str, std::move(item));
  return std::nullopt;
}

std::optional<std::string> redis_store::idempotency_claim(const std::string& key, int64_t,
                                                          int64_t window_ms) {
  auto k = idempotency_key(key);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto set = one({"SET", k, "", "NX", "PX", std::to_string(window_ms)});
    if (!set.is_nil())
      return std::nullopt;
    auto held = one({"GET", k});
    if (!held.is_nil())
      return held.str;
    // It expired between the two calls: claim again.
  }
  return std::string();
}

void redis_store::idempotency_keep(const std::string& key, const std::string& answer, int64_t,
                                   int64_t window_ms) {
  one({"SET", idempotency_key(key), answer, "PX", std::to_string(window_ms)});
}

void redis_store::idempotency_release(const std::string& key) {
  one({"DEL", idempotency_key(key)});
}

void redis_store::receipt_delivered(const std::string& event_id,
                                    const std::vector<receipt_record::delivery>& sessions) {
  if (sessions.empty())
    return;
  redis_command cmd{"EVAL",
                    deliver_script,
                    "1",
                    receipt_key(event_id),
                    std::to_string(receipt_deliveries_max),
                    std::to_string(limits_.ttl.count())};
  for (size_t i = 0; i < sessions.size() && i < receipt_deliveries_max; ++i) {
    cmd.push_back(sessions[i].session);
    cmd.push_back(sessions[i].node + " " + std::to_string(sessions[i].at_ms));
  }
  one(std::move(cmd));
}

void redis_store::receipt_acked(const std::string& user, inbox_pos pos, int64_t at_ms) {
  one({"EVAL", ack_script, "1", acks_key(user), pos.to_string(), std::to_string(at_ms),
       std::to_string(limits_.max_events), std::to_string(limits_.ttl.count())});
}

receipt_record redis_store::receipt(const std::string& user, const std::string& event_id,
                                    inbox_pos pos) {
  receipt_record out;
  auto fields = one({"HGETALL", receipt_key(event_id)});
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    std::string node, at;
    if (split_pair(fields.elements[i + 1].str, node, at))
      add_delivery(out, fields.elements[i].str, node, at);
  }
  std::sort(out.delivered.begin(), out.delivered.end(), [](auto& a, auto& b) {
    return std::tie(a.at_ms, a.session) < std::tie(b.at_ms, b.session);
  });
  // Entries of the same millisecond share a score: a few are read and compared.
  auto acks =
      one({"ZRANGEBYSCORE", acks_key(user), std::to_string(pos.major), "+inf", "LIMIT", "0", "16"});
  for (auto& entry : acks.elements) {
    std::string at_pos, at;
    if (!split_pair(entry.str, at_pos, at))
      continue;
    auto logged = inbox_pos::parse(at_pos);
    if (logged && pos <= *logged) {
      out.acked_ms = number_or_zero(at);
      break;
    }
  }
  return out;
}

void redis_store::escalation_put(const std::string& event_id, const escalation_record& e) {
  auto key = prefix_ + "escalation:" + event_id;
  // Kept past its due time as long as the inbox keeps events.
  auto keep_ms = std::max<int64_t>(0, e.due_ms - e.at_ms) + limits_.ttl.count();
  for (auto& r : redis_.call({{"HSET", key, "state", e.state, "sink", e.sink, "job", e.job_id,
                               "due", std::to_string(e.due_ms), "at", std::to_string(e.at_ms)},
                              {"PEXPIRE", key, std::to_string(keep_ms)}}))
    if (r.is_error())
      throw store_error("redis: " + r.str);
}

std::optional<escalation_record> redis_store::escalation_get(const std::string& event_id) {
  auto h = one({"HGETALL", prefix_ + "escalation:" + event_id});
  std::map<std::string, std::string> f;
  for (size_t i = 0; i + 1 < h.elements.size(); i += 2)
    f[h.elements[i].str] = h.elements[i + 1].str;
  if (f.empty())
    return std::nullopt;
  return escalation_record{f["state"], f["sink"], f["job"], number_or_zero(f["due"]),
                           number_or_zero(f["at"])};
}

} // namespace herald::persistence
