#include "persistence/redis_store.hpp"

#include <algorithm>
#include <utility>

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

redis_store::redis_store(redis_manager& redis, std::string key_prefix, inbox_limits limits,
                         std::string consumer, std::vector<std::string> sinks)
    : redis_(redis), prefix_(std::move(key_prefix)), limits_(limits),
      consumer_(std::move(consumer)), sinks_(std::move(sinks)) {}

std::vector<redis_reply> redis_pipeline::call(std::vector<redis_command> commands) {
  if (deferred_.empty())
    return redis_.call(std::move(commands));
  auto waiting = deferred_.size();
  deferred_.insert(deferred_.end(), std::make_move_iterator(commands.begin()),
                   std::make_move_iterator(commands.end()));
  auto all = redis_.call(std::exchange(deferred_, {}));
  for (size_t i = 0; i < waiting && i < all.size(); ++i)
    if (all[i].is_error())
      throw store_error("redis: " + all[i].str);
  all.erase(all.begin(), all.begin() + long(std::min(waiting, all.size())));
  return all;
}

void redis_pipeline::defer(redis_command command) {
  deferred_.push_back(std::move(command));
  if (!batching_)
    flush();
}

void redis_pipeline::flush() {
  if (deferred_.empty())
    return;
  auto replies = redis_.call(std::exchange(deferred_, {}));
  if (replies.empty())
    throw store_error("redis: no reply");
  for (auto& r : replies)
    if (r.is_error())
      throw store_error("redis: " + r.str);
}

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
        // Whose event it is, for its receipt (GET /api/v1/events/{id}).
        {"SET", event_key(event_id), user, "PX", std::to_string(limits_.ttl.count())},
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
    throw store_error("redis: XADD failed: " +
                      (replies.empty() ? std::string("no reply") : replies[0].str));
  auto pos = inbox_pos::parse(replies[0].str);
  if (!pos)
    throw store_error("redis: XADD answered an unexpected id " + replies[0].str);
  return *pos;
}

// Where `event_id` sits in the user's inbox (a scan of at most inbox_max entries).
std::optional<inbox_pos> redis_store::find_in_inbox(const std::string& user,
                                                    const std::string& event_id) {
  auto r =
      one({"XREVRANGE", inbox_key(user), "+", "-", "COUNT", std::to_string(limits_.max_events)});
  for (auto& entry : r.elements)
    if (entry.elements.size() >= 2 && field(entry.elements[1], "id") == event_id)
      return inbox_pos::parse(entry.elements[0].str);
  return std::nullopt;
}

std::vector<inbox_item> redis_store::inbox_pending(const std::string& user, int64_t now_ms,
                                                   const std::string& after_event) {
  std::optional<inbox_pos> given;
  if (!after_event.empty())
    given = find_in_inbox(user, after_event);
  return inbox_after(user, given ? *given : cursor(user), now_ms);
}

std::vector<inbox_item> redis_store::inbox_after(const std::string& user, inbox_pos after,
                                                 int64_t now_ms) {
  auto oldest = static_cast<uint64_t>(std::max<int64_t>(0, now_ms - limits_.ttl.count()));
  // Newer than the cursor and than the ttl; the newest inbox_max of them.
  inbox_pos floor = std::max(after, inbox_pos{oldest, 0});
  std::string start =
      floor.empty() ? "-"
                    : (after < inbox_pos{oldest, 0} ? floor.to_string() : "(" + floor.to_string());
  auto r =
      one({"XREVRANGE", inbox_key(user), "+", start, "COUNT", std::to_string(limits_.max_events)});
  std::vector<inbox_item> out;
  for (auto it = r.elements.rbegin(); it != r.elements.rend(); ++it) {
    if (it->elements.size() < 2)
      continue;
    auto pos = inbox_pos::parse(it->elements[0].str);
    if (!pos || !(after < *pos))
      continue;
    auto& fields = it->elements[1];
    auto t = field(fields, "t");
    out.push_back(
        {*pos, field(fields, "id"), field(fields, "tail"), t.empty() ? 0 : std::stoll(t)});
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

namespace herald::persistence {

namespace {

constexpr const char* group = "herald";

constexpr job_priority priorities[] = {job_priority::high, job_priority::normal, job_priority::low};

// KEYS[1] job hash, KEYS[2] its stream, KEYS[3] the sink's delayed set;
// ARGV: delayed (0/1), run at, job id, then the hash's field/value pairs.
// The hash, then what makes the job visible; a job already there is left
// alone (a batch that failed is run again job by job).
constexpr const char* add_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
if ARGV[1] == '1' then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
else
  redis.call('HSET', KEYS[1], 'entry', redis.call('XADD', KEYS[2], '*', 'id', ARGV[3]))
end
return 1
)lua";

// KEYS[1] delayed set, KEYS[2..4] the streams of high, normal, low priority;
// ARGV: now, job key prefix, group, consumer, lease ms, max. Moves the due
// delayed jobs into their stream, then leases up to max entries, higher
// priority first and, within one, stalled entries (pending longer than a
// lease on any consumer) before fresh ones. Returns {id, entry, hash...}
// per job; entries whose job is gone or dead are dropped.
constexpr const char* claim_script = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  local p = tonumber(redis.call('HGET', ARGV[2] .. id, 'priority')) or 1
  if p < 0 or p > 2 then p = 1 end
  local entry = redis.call('XADD', KEYS[2 + p], '*', 'id', id)
  redis.call('HSET', ARGV[2] .. id, 'entry', entry, 'state', '0')
  redis.call('ZREM', KEYS[1], id)
end
local max = tonumber(ARGV[6])
local out = {}
local function take(stream, entries)
  for _, e in ipairs(entries) do
    local id = nil
    local fields = type(e[2]) == 'table' and e[2] or {}
    for i = 1, #fields, 2 do
      if fields[i] == 'id' then id = fields[i + 1] end
    end
    local key = id and (ARGV[2] .. id) or nil
    local state = key and redis.call('HGET', key, 'state') or false
    if not state or state == '3' then
      redis.call('XACK', stream, ARGV[3], e[1])
      redis.call('XDEL', stream, e[1])
    else
      redis.call('HSET', key, 'state', '2', 'entry', e[1])
      table.insert(out, {id, redis.call('HGETALL', key)})
    end
  end
end
for i = 2, 4 do
  if #out < max then
    local stalled = redis.call('XAUTOCLAIM', KEYS[i], ARGV[3], ARGV[4], ARGV[5], '0', 'COUNT', max - #out)
    take(KEYS[i], stalled[2])
  end
  if #out < max then
    local fresh = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[4], 'COUNT', max - #out, 'STREAMS', KEYS[i], '>')
    if fresh then take(KEYS[i], fresh[1][2]) end
  end
end
return out
)lua";

// KEYS[1] job hash; ARGV: key prefix, group. A delivered job: its entry
// acked and deleted, its hash gone; a dead one is left alone.
constexpr const char* finish_script = R"lua(
local f = redis.call('HMGET', KEYS[1], 'sink', 'priority', 'entry', 'state')
if not f[1] or f[4] == '3' then return 0 end
if f[3] then
  local p = tonumber(f[2]) or 1
  local stream = ARGV[1] .. (p == 0 and 'jobs:high:' or (p == 2 and 'jobs:low:' or 'jobs:')) .. f[1]
  redis.call('XACK', stream, ARGV[2], f[3])
  redis.call('XDEL', stream, f[3])
end
redis.call('DEL', KEYS[1])
return 1
)lua";

std::string hfield(const redis_reply& h, const std::string& name) {
  for (size_t i = 0; i + 1 < h.elements.size(); i += 2)
    if (h.elements[i].str == name)
      return h.elements[i + 1].str;
  return {};
}

int64_t number(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

void check(const std::vector<redis_reply>& replies) {
  for (auto& r : replies)
    if (r.is_error())
      throw store_error("redis: " + r.str);
}

} // namespace

std::vector<redis_reply> redis_store::transaction(std::vector<redis_command> commands) {
  commands.insert(commands.begin(), {"MULTI"});
  commands.push_back({"EXEC"});
  auto replies = redis_.call(std::move(commands));
  check(replies);
  if (replies.empty() || replies.back().type != redis_reply::kind::array)
    throw store_error("redis: transaction aborted");
  check(replies.back().elements);
  return std::move(replies.back().elements);
}

void redis_store::ensure_group(const std::string& sink) {
  if (groups_.count(sink))
    return;
  std::vector<redis_command> create;
  for (auto p : priorities)
    create.push_back({"XGROUP", "CREATE", stream_key(sink, p), group, "0", "MKSTREAM"});
  for (auto& r : redis_.call(std::move(create)))
    if (r.is_error() && r.str.find("BUSYGROUP") == std::string::npos)
      throw store_error("redis: " + r.str);
  groups_.insert(sink);
}

namespace {

job job_from_hash(const std::string& id, const redis_reply& h) {
  job j;
  j.id = id;
  j.sink = hfield(h, "sink");
  j.to = hfield(h, "to");
  j.text = hfield(h, "text");
  j.data = hfield(h, "data");
  j.attempts = uint32_t(number(hfield(h, "attempts")));
  j.state = job_state(std::clamp<int64_t>(number(hfield(h, "state")), 0, 3));
  j.created_ms = number(hfield(h, "created_ms"));
  j.run_at_ms = number(hfield(h, "run_at_ms"));
  j.failed_at_ms = number(hfield(h, "failed_at_ms"));
  j.last_error = hfield(h, "last_error");
  j.expires_at_ms = number(hfield(h, "expires_ms"));
  j.dedupe_key = hfield(h, "dedupe");
  j.priority = job_priority(std::clamp<int64_t>(number(hfield(h, "priority")), 0, 2));
  j.escalates = hfield(h, "escalates");
  return j;
}

} // namespace

std::optional<job> redis_store::load_job(const std::string& id) {
  auto h = one({"HGETALL", job_key(id)});
  if (h.elements.empty())
    return std::nullopt;
  return job_from_hash(id, h);
}

void redis_store::drop_entry(const job& j, std::vector<redis_command>& into) {
  auto h = one({"HGET", job_key(j.id), "entry"});
  if (h.is_nil() || h.str.empty())
    return;
  into.push_back({"XACK", stream_key(j.sink, j.priority), group, h.str});
  into.push_back({"XDEL", stream_key(j.sink, j.priority), h.str});
  into.push_back({"HDEL", job_key(j.id), "entry"});
}

void redis_store::job_add(const job& j) {
  ensure_group(j.sink);
  bool delayed = j.state == job_state::delayed;
  one({"EVAL",
       add_script,
       "3",
       job_key(j.id),
       stream_key(j.sink, j.priority),
       delayed_key(j.sink),
       delayed ? "1" : "0",
       std::to_string(j.run_at_ms),
       j.id,
       "sink",
       j.sink,
       "to",
       j.to,
       "text",
       j.text,
       "data",
       j.data,
       "attempts",
       std::to_string(j.attempts),
       "state",
       delayed ? "1" : "0",
       "created_ms",
       std::to_string(j.created_ms),
       "run_at_ms",
       std::to_string(j.run_at_ms),
       "expires_ms",
       std::to_string(j.expires_at_ms),
       "dedupe",
       j.dedupe_key,
       "priority",
       std::to_string(int(j.priority)),
       "escalates",
       j.escalates});
}

std::vector<job> redis_store::job_claim(const std::string& sink, size_t max, int64_t now_ms,
                                        int64_t lease_until_ms) {
  ensure_group(sink);
  auto lease_ms = std::to_string(std::max<int64_t>(1, lease_until_ms - now_ms));
  auto r = one({"EVAL", claim_script, "4", delayed_key(sink), stream_key(sink, job_priority::high),
                stream_key(sink, job_priority::normal), stream_key(sink, job_priority::low),
                std::to_string(now_ms), prefix_ + "job:", group, consumer_, lease_ms,
                std::to_string(max)});
  std::vector<job> out;
  for (auto& claimed : r.elements) {
    if (claimed.elements.size() < 2)
      continue;
    auto j = job_from_hash(claimed.elements[0].str, claimed.elements[1]);
    j.state = job_state::active;
    j.lease_until_ms = lease_until_ms;
    out.push_back(std::move(j));
  }
  return out;
}

void redis_store::job_finish(const std::string& id) {
  redis_.defer({"EVAL", finish_script, "1", job_key(id), prefix_, group});
}

void redis_store::job_reschedule(const std::string& id, uint32_t attempts, int64_t run_at_ms,
                                 const std::string& error) {
  auto j = load_job(id);
  if (!j || j->state == job_state::dead)
    return;
  std::vector<redis_command> cmds;
  drop_entry(*j, cmds);
  redis_command set{"HSET",      job_key(id),
                    "state",     "1",
                    "attempts",  std::to_string(attempts),
                    "run_at_ms", std::to_string(run_at_ms)};
  if (!error.empty()) {
    set.push_back("last_error");
    set.push_back(error);
  }
  cmds.push_back(std::move(set));
  cmds.push_back({"ZADD", delayed_key(j->sink), std::to_string(run_at_ms), id});
  transaction(std::move(cmds));
}

bool redis_store::job_bury(const std::string& id, uint32_t attempts, const std::string& error,
                           int64_t failed_at_ms, uint64_t dlq_max) {
  if (uint64_t(one({"ZCARD", prefix_ + "dlq"}).integer) >= dlq_max)
    return false;
  auto j = load_job(id);
  if (!j)
    return true;
  std::vector<redis_command> cmds;
  drop_entry(*j, cmds);
  cmds.push_back({"HSET", job_key(id), "state", "3", "attempts", std::to_string(attempts),
                  "last_error", error, "failed_at_ms", std::to_string(failed_at_ms)});
  cmds.push_back({"ZREM", delayed_key(j->sink), id});
  cmds.push_back({"ZADD", prefix_ + "dlq", std::to_string(failed_at_ms), id});
  transaction(std::move(cmds));
  return true;
}

job_counts redis_store::job_count(int64_t now_ms) {
  job_counts c;
  for (auto& sink : sinks_) {
    ensure_group(sink);
    for (auto p : priorities) {
      auto groups = one({"XINFO", "GROUPS", stream_key(sink, p)});
      for (auto& g : groups.elements) {
        // Redis 7: "lag" is entries not yet read by the group, "pending" those read and not acked.
        for (size_t i = 0; i + 1 < g.elements.size(); i += 2) {
          if (g.elements[i].str == "pending")
            c.active += uint64_t(g.elements[i + 1].integer);
          if (g.elements[i].str == "lag" && g.elements[i + 1].type == redis_reply::kind::integer)
            c.waiting += uint64_t(g.elements[i + 1].integer);
        }
      }
    }
    auto now = std::to_string(now_ms);
    c.waiting += uint64_t(one({"ZCOUNT", delayed_key(sink), "-inf", now}).integer);
    c.delayed += uint64_t(one({"ZCOUNT", delayed_key(sink), "(" + now, "+inf"}).integer);
  }
  c.dead = uint64_t(one({"ZCARD", prefix_ + "dlq"}).integer);
  return c;
}

std::vector<job> redis_store::dlq_list(size_t limit, size_t offset) {
  std::vector<job> out;
  if (limit == 0)
    return out;
  auto ids = one(
      {"ZREVRANGE", prefix_ + "dlq", std::to_string(offset), std::to_string(offset + limit - 1)});
  for (auto& id : ids.elements)
    if (auto j = load_job(id.str))
      out.push_back(std::move(*j));
  return out;
}

std::optional<job> redis_store::dlq_retry(const std::string& id, int64_t now_ms) {
  auto j = load_job(id);
  if (!j || j->state != job_state::dead)
    return std::nullopt;
  ensure_group(j->sink);
  auto r = transaction({{"ZREM", prefix_ + "dlq", id},
                        {"HSET", job_key(id), "state", "0", "attempts", "0", "run_at_ms",
                         std::to_string(now_ms), "failed_at_ms", "0"},
                        {"XADD", stream_key(j->sink, j->priority), "*", "id", id}});
  one({"HSET", job_key(id), "entry", r.back().str});
  j->state = job_state::waiting;
  j->attempts = 0;
  j->run_at_ms = now_ms;
  return j;
}

bool redis_store::dlq_delete(const std::string& id) {
  auto r = transaction({{"ZREM", prefix_ + "dlq", id}});
  if (r.empty() || r[0].integer == 0)
    return false;
  one({"DEL", job_key(id)});
  return true;
}

void redis_store::optin_set(const std::string& sink, const std::string& to, bool on) {
  one({on ? "SADD" : "SREM", prefix_ + "optin:" + sink, to});
}

bool redis_store::optin_has(const std::string& sink, const std::string& to) {
  return one({"SISMEMBER", prefix_ + "optin:" + sink, to}).integer == 1;
}

} // namespace herald::persistence
