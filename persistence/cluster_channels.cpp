// Channel presence shared through Redis (see cluster_link.hpp): hash
// `{prefix}channel-presence:{channel}`, one field per user holding
// "<node>=<sessions>,…"; an entry counts only while its node's key exists.
#include "persistence/cluster_link.hpp"

namespace herald::persistence {

namespace {

// KEYS[1] hash; ARGV: user, node, sessions, node key prefix. Writes this
// node's count (dropping entries of dead nodes) and answers the user's
// sessions on the other live nodes.
constexpr const char* set_script = R"lua(
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
local out, others = {}, 0
for node, n in string.gmatch(cur, '([^=,]+)=(%d+)') do
  if node ~= ARGV[2] and redis.call('EXISTS', ARGV[4] .. node) == 1 then
    out[#out + 1] = node .. '=' .. n
    others = others + tonumber(n)
  end
end
if tonumber(ARGV[3]) > 0 then out[#out + 1] = ARGV[2] .. '=' .. ARGV[3] end
if #out == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], table.concat(out, ','))
end
return others
)lua";

// KEYS[1] hash; ARGV: this node, node key prefix. Each user's sessions on
// the other live nodes: user, count, user, count, …
constexpr const char* read_script = R"lua(
local h = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #h, 2 do
  local n = 0
  for node, c in string.gmatch(h[i + 1], '([^=,]+)=(%d+)') do
    if node ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. node) == 1 then n = n + tonumber(c) end
  end
  if n > 0 then
    out[#out + 1] = h[i]
    out[#out + 1] = n
  end
end
return out
)lua";

} // namespace

void cluster_link::set_channel_presence(const std::string& channel, const std::string& user,
                                        uint64_t sessions,
                                        std::function<void(std::optional<uint64_t>)> done) {
  redis_.submit({{"EVAL", set_script, "1", key("channel-presence:" + channel), user, node_id_,
                  std::to_string(sessions), key("node:")}},
                [done = std::move(done)](bool ok, std::vector<redis_reply> r, const std::string&) {
                  if (!done)
                    return;
                  if (!ok || r.empty() || r[0].type != redis_reply::kind::integer)
                    return done(std::nullopt);
                  done(uint64_t(std::max<int64_t>(0, r[0].integer)));
                });
}

void cluster_link::channel_presence(
    const std::string& channel,
    std::function<void(std::optional<std::vector<std::pair<std::string, uint64_t>>>)> done) {
  redis_.submit(
      {{"EVAL", read_script, "1", key("channel-presence:" + channel), node_id_, key("node:")}},
      [done = std::move(done)](bool ok, std::vector<redis_reply> r, const std::string&) {
        if (!ok || r.empty() || r[0].type != redis_reply::kind::array)
          return done(std::nullopt);
        std::vector<std::pair<std::string, uint64_t>> out;
        auto& f = r[0].elements;
        for (size_t i = 0; i + 1 < f.size(); i += 2)
          out.emplace_back(f[i].str, uint64_t(std::max<int64_t>(0, f[i + 1].integer)));
        done(std::move(out));
      });
}

} // namespace herald::persistence
