// Channel history on Redis (see redis_store.hpp for the keys).
#include "persistence/redis_store.hpp"

#include <charconv>

namespace herald::persistence {

namespace {

// KEYS[1] stream, KEYS[2] meta; ARGV: epoch if new, size, ttl ms, meta ttl
// ms, event id, tail, now ms. A meta hash made anew (Redis emptied, or the
// channel silent past the meta ttl) starts a new epoch and drops any
// leftover stream, whose ids would be ahead of the new offsets.
constexpr const char* append_script = R"lua(
local top = redis.call('HINCRBY', KEYS[2], 'top', 1)
if redis.call('HSETNX', KEYS[2], 'epoch', ARGV[1]) == 1 or top == 1 then
  redis.call('DEL', KEYS[1])
end
local epoch = redis.call('HGET', KEYS[2], 'epoch')
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], top .. '-0', 'i', ARGV[5], 't', ARGV[6],
           'c', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {top, epoch}
)lua";

// KEYS[1] stream, KEYS[2] meta; ARGV: epoch if new, after, count, meta ttl ms.
constexpr const char* read_script = R"lua(
if redis.call('HSETNX', KEYS[2], 'epoch', ARGV[1]) == 1 then
  redis.call('HSETNX', KEYS[2], 'top', 0)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'top')
local items = redis.call('XRANGE', KEYS[1], '(' .. ARGV[2] .. '-0', '+', 'COUNT', ARGV[3])
return {meta[1], meta[2] or '0', items}
)lua";

uint64_t number(const std::string& text, const char* what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw store_error(std::string("redis: history ") + what +
                      " is not a number: " + text.substr(0, 40));
  return v;
}

std::string field_of(const redis_reply& fields, const char* name) {
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2)
    if (fields.elements[i].str == name)
      return fields.elements[i + 1].str;
  return {};
}

// An entry of the stream: id "<offset>-0" and fields i, t, c.
history_item item_of(const redis_reply& entry) {
  if (entry.elements.size() < 2)
    throw store_error("redis: a history entry has no fields");
  auto& id = entry.elements[0].str;
  auto dash = id.find('-');
  history_item out;
  out.offset = number(id.substr(0, dash), "offset");
  out.event_id = field_of(entry.elements[1], "i");
  out.tail = field_of(entry.elements[1], "t");
  out.created_ms = int64_t(number(field_of(entry.elements[1], "c"), "time"));
  return out;
}

} // namespace

history_position redis_store::history_append(const std::string& channel,
                                             const std::string& event_id, const std::string& tail,
                                             int64_t now_ms, const history_rule& rule) {
  auto r = one({"EVAL", append_script, "2", history_key(channel), history_meta_key(channel),
                new_epoch(), std::to_string(rule.size), std::to_string(rule.ttl.count()),
                std::to_string(rule.meta_ttl.count()), event_id, tail, std::to_string(now_ms)});
  if (r.elements.size() != 2)
    throw store_error("redis: history append answered an unexpected shape");
  auto& top = r.elements[0];
  return {top.integer > 0 ? uint64_t(top.integer) : number(top.str, "offset"), r.elements[1].str};
}

history_page redis_store::history_read(const std::string& channel, uint64_t after, size_t limit,
                                       int64_t now_ms, const history_rule& rule) {
  auto r =
      one({"EVAL", read_script, "2", history_key(channel), history_meta_key(channel), new_epoch(),
           std::to_string(after), std::to_string(limit), std::to_string(rule.meta_ttl.count())});
  if (r.elements.size() != 3)
    throw store_error("redis: history read answered an unexpected shape");
  history_page page{r.elements[0].str, number(r.elements[1].str, "top"), {}};
  auto oldest = now_ms - rule.ttl.count();
  for (auto& entry : r.elements[2].elements) {
    auto item = item_of(entry);
    // A tail that would break the frames it goes into counts as not kept
    // (a gap: whoever needed it is told recovered:false).
    if (item.created_ms >= oldest && well_formed_tail(item.tail))
      page.items.push_back(std::move(item));
  }
  return page;
}

} // namespace herald::persistence
