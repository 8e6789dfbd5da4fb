#include "persistence/redis_store.hpp"

#include <algorithm>

namespace herald::persistence {

namespace {

// KEYS[1] cursor key, ARGV[1] stream id: set it unless the stored id is newer.
constexpr const char* advance_script = R"lua(
local cur = redis.call('GET', KEYS[1])
if cur then
  local cm, cs = string.match(cur, '^(%d+)-(%d+)$')
  local nm, ns = string.match(ARGV[1], '^(%d+)-(%d+)$')
  cm, cs, nm, ns = tonumber(cm), tonumber(cs), tonumber(nm), tonumber(ns)
  if nm < cm or (nm == cm and ns <= cs) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

std::string field(const redis_reply& fields, const std::string& name) {
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2)
    if (fields.elements[i].str == name)
      return fields.elements[i + 1].str;
  return {};
}

} // namespace

redis_store::redis_store(redis_manager& redis, std::string key_prefix, inbox_limits limits)
    : redis_(redis), prefix_(std::move(key_prefix)), limits_(limits) {}

redis_reply redis_store::one(redis_command command) {
  auto replies = redis_.call({std::move(command)});
  if (replies.empty())
    throw store_error("redis: no reply");
  if (replies[0].is_error())
    throw store_error("redis: " + replies[0].str);
  return std::move(replies[0]);
}

inbox_pos redis_store::inbox_append(const std::string& user, const std::string& event_id,
                                    const std::string& tail, int64_t now_ms) {
  auto key = inbox_key(user);
  auto append = [&](const std::string& id) {
    return redis_.call({
        {"XADD", key, "MAXLEN", "~", std::to_string(limits_.max_events), id, "id", event_id, "tail",
         tail, "t", std::to_string(now_ms)},
        {"XTRIM", key, "MINID", std::to_string(std::max<int64_t>(0, now_ms - limits_.ttl.count()))},
        {"PEXPIRE", key, std::to_string(limits_.ttl.count())},
    });
  };
  // Entry ids follow this node's clock, so the ttl is measured in the same
  // time as everywhere else; a node whose clock is behind the stream's
  // newest entry lets Redis pick the id.
  auto replies = append(std::to_string(now_ms) + "-*");
  if (!replies.empty() && replies[0].is_error() &&
      replies[0].str.find("equal or smaller") != std::string::npos)
    replies = append("*");
  if (replies.empty() || replies[0].is_error())
    throw store_error("redis: XADD failed: " + (replies.empty() ? std::string("no reply") : replies[0].str));
  auto pos = inbox_pos::parse(replies[0].str);
  if (!pos)
    throw store_error("redis: XADD answered an unexpected id " + replies[0].str);
  return *pos;
}

std::vector<inbox_item> redis_store::inbox_pending(const std::string& user, int64_t now_ms) {
  auto after = cursor(user);
  auto oldest = static_cast<uint64_t>(std::max<int64_t>(0, now_ms - limits_.ttl.count()));
  // Newer than the cursor and than the ttl; the newest inbox_max of them.
  inbox_pos floor = std::max(after, inbox_pos{oldest, 0});
  std::string start = floor.empty() ? "-" : (after < inbox_pos{oldest, 0} ? floor.to_string() : "(" + floor.to_string());
  auto r = one({"XREVRANGE", inbox_key(user), "+", start, "COUNT", std::to_string(limits_.max_events)});
  std::vector<inbox_item> out;
  for (auto it = r.elements.rbegin(); it != r.elements.rend(); ++it) {
    if (it->elements.size() < 2)
      continue;
    auto pos = inbox_pos::parse(it->elements[0].str);
    if (!pos || !(after < *pos))
      continue;
    auto& fields = it->elements[1];
    auto t = field(fields, "t");
    out.push_back({*pos, field(fields, "id"), field(fields, "tail"), t.empty() ? 0 : std::stoll(t)});
  }
  return out;
}

void redis_store::cursor_advance(const std::string& user, inbox_pos pos) {
  // The cursor outlives the inbox by a ttl so an expired inbox does not replay.
  one({"EVAL", advance_script, "1", cursor_key(user), pos.to_string(),
       std::to_string(limits_.ttl.count() * 2)});
}

inbox_pos redis_store::cursor(const std::string& user) {
  auto r = one({"GET", cursor_key(user)});
  if (r.is_nil())
    return {};
  auto pos = inbox_pos::parse(r.str);
  return pos ? *pos : inbox_pos{};
}

} // namespace herald::persistence
