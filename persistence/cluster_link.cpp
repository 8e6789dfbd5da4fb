#include "persistence/cluster_link.hpp"

#include "config/text.hpp"

#include <nlohmann/json.hpp>

namespace herald::persistence {

namespace {

// KEYS[1] presence hash; ARGV[1] node key prefix. Fields of nodes whose key
// is gone keep their last seen but no sessions.
constexpr const char* presence_script = R"lua(
local h = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #h, 2 do
  out[#out + 1] = h[i]
  if redis.call('EXISTS', ARGV[1] .. h[i]) == 1 then
    out[#out + 1] = h[i + 1]
  else
    out[#out + 1] = '0:' .. (string.match(h[i + 1], ':(%-?%d+)$') or '-1')
  end
end
return out
)lua";

// KEYS[1] node set; ARGV[1] node key prefix. Every live node's stats hash;
// ids of nodes whose key expired leave the set.
constexpr const char* totals_script = R"lua(
local ids = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, id in ipairs(ids) do
  local h = redis.call('HGETALL', ARGV[1] .. id)
  if #h == 0 then
    redis.call('SREM', KEYS[1], id)
  else
    out[#out + 1] = h
  end
end
return out
)lua";

} // namespace

std::string bus_message::encode() const {
  nlohmann::json j{{"v", 1},    {"o", origin},    {"k", std::string(1, target)},
                   {"n", name}, {"id", event_id}, {"tail", tail}};
  if (!pos.empty())
    j["p"] = pos.to_string();
  if (control)
    j["ctl"] = true;
  if (history.offset > 0) {
    j["off"] = history.offset;
    j["ep"] = history.epoch;
  }
  if (!command.empty())
    j["cmd"] = {{"w", command}, {"a", command_arg}, {"c", command_code}};
  return json_text(j);
}

namespace {

// A control API command: for a user, a known verb, a bounded argument.
std::optional<bus_message> decode_command(const std::string& origin, const std::string& kind,
                                          const std::string& user, const nlohmann::json& cmd) {
  if (kind != "u" || user.empty() || user.size() > 200 || !cmd.is_object())
    return std::nullopt;
  auto w = cmd.find("w"), a = cmd.find("a"), c = cmd.find("c");
  if (w == cmd.end() || !w->is_string() || a == cmd.end() || !a->is_string() || c == cmd.end() ||
      !c->is_number_unsigned() || a->get_ref<const std::string&>().size() > 200)
    return std::nullopt;
  auto verb = w->get<std::string>();
  auto code = c->get<uint64_t>();
  if (verb != "sub" && verb != "unsub" && verb != "read" && verb != "disc")
    return std::nullopt;
  if (verb == "disc" && (code < 3000 || code > 4999))
    return std::nullopt;
  bus_message m;
  m.origin = origin;
  m.target = 'u';
  m.name = user;
  m.command = verb;
  m.command_arg = a->get<std::string>();
  m.command_code = static_cast<uint16_t>(code);
  return m;
}

} // namespace

std::optional<bus_message> bus_message::decode(const std::string& payload) {
  auto j = parse_json(payload);
  if (!j.is_object())
    return std::nullopt;
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || *v != 1)
    return std::nullopt;
  auto str = [&](const char* k) -> const std::string* {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  auto o = str("o"), k = str("k"), n = str("n"), id = str("id"), tail = str("tail");
  if (!o || !k || !n || !id || !tail || k->size() != 1 ||
      std::string("ucb").find((*k)[0]) == std::string::npos)
    return std::nullopt;
  if (auto cmd = j.find("cmd"); cmd != j.end())
    return decode_command(*o, *k, *n, *cmd);
  auto ctl = j.find("ctl");
  bool control = ctl != j.end() && ctl->is_boolean() && ctl->get<bool>();
  if (n->size() > 256 || id->size() > 64)
    return std::nullopt;
  if (control ? !parse_json(*tail).is_object() || (*k)[0] != 'c' : !well_formed_tail(*tail))
    return std::nullopt;
  bus_message m{*o, (*k)[0], *n, *id, *tail, {}, {}, control};
  if (auto p = str("p")) {
    auto pos = inbox_pos::parse(*p);
    if (!pos)
      return std::nullopt;
    m.pos = *pos;
  }
  if (auto off = j.find("off"); off != j.end()) {
    auto ep = str("ep");
    if (!off->is_number_unsigned() || *off == 0 || !ep || ep->empty() || ep->size() > 64 ||
        m.target != 'c')
      return std::nullopt;
    m.history = {off->get<uint64_t>(), *ep};
  }
  return m;
}

cluster_link::cluster_link(redis_manager& redis, std::string key_prefix, std::string node_id,
                           std::chrono::milliseconds node_ttl,
                           std::chrono::milliseconds presence_retain)
    : redis_(redis), prefix_(std::move(key_prefix)), node_id_(std::move(node_id)),
      node_ttl_(node_ttl), presence_retain_(presence_retain) {
  redis_.subscribe(key("bus"));
}

void cluster_link::on_bus_message(std::function<void(bus_message)> fn) {
  auto self_id = node_id_;
  redis_.on_message([fn = std::move(fn), self_id](const std::string&, const std::string& payload) {
    auto m = bus_message::decode(payload);
    if (m && m->origin != self_id)
      fn(std::move(*m));
  });
}

void cluster_link::publish(const bus_message& msg,
                           std::function<void(std::optional<uint64_t>)> done) {
  redis_.submit({{"PUBLISH", key("bus"), msg.encode()}},
                [done = std::move(done)](bool ok, std::vector<redis_reply> r, const std::string&) {
                  if (!ok || r.empty() || r[0].type != redis_reply::kind::integer)
                    return done(std::nullopt);
                  // This node hears its own publish too.
                  done(uint64_t(std::max<int64_t>(0, r[0].integer - 1)));
                });
}

void cluster_link::set_presence(const std::string& user, uint64_t sessions, int64_t last_seen_ms) {
  auto k = key("presence:" + user);
  redis_.submit(
      {{"HSET", k, node_id_, std::to_string(sessions) + ":" + std::to_string(last_seen_ms)},
       {"PEXPIRE", k, std::to_string(presence_retain_.count())}},
      nullptr);
}

void cluster_link::presence(const std::string& user,
                            std::function<void(std::optional<cluster_presence>)> done) {
  auto self_id = node_id_;
  redis_.submit(
      {{"EVAL", presence_script, "1", key("presence:" + user), key("node:")}},
      [done = std::move(done), self_id](bool ok, std::vector<redis_reply> r, const std::string&) {
        if (!ok || r.empty() || r[0].type != redis_reply::kind::array)
          return done(std::nullopt);
        cluster_presence out;
        auto& f = r[0].elements;
        for (size_t i = 0; i + 1 < f.size(); i += 2) {
          if (f[i].str == self_id)
            continue; // this node answers for itself, exactly
          auto& v = f[i + 1].str;
          auto colon = v.find(':');
          if (colon == std::string::npos)
            continue;
          try {
            out.sessions += std::stoull(v.substr(0, colon));
            out.last_seen_ms = std::max<int64_t>(out.last_seen_ms, std::stoll(v.substr(colon + 1)));
          } catch (const std::exception&) {
          }
        }
        done(out);
      });
}

void cluster_link::report(const node_stats& stats) {
  redis_command hset{"HSET", key("node:" + node_id_)};
  for (auto& [k, v] : stats) {
    hset.push_back(k);
    hset.push_back(std::to_string(v));
  }
  redis_.submit({std::move(hset),
                 {"PEXPIRE", key("node:" + node_id_), std::to_string(node_ttl_.count())},
                 {"SADD", key("nodes"), node_id_}},
                nullptr);
}

void cluster_link::totals(
    std::function<void(std::optional<std::pair<uint64_t, node_stats>>)> done) {
  redis_.submit({{"EVAL", totals_script, "1", key("nodes"), key("node:")}},
                [done = std::move(done)](bool ok, std::vector<redis_reply> r, const std::string&) {
                  if (!ok || r.empty() || r[0].type != redis_reply::kind::array)
                    return done(std::nullopt);
                  node_stats sum;
                  for (auto& node : r[0].elements)
                    for (size_t i = 0; i + 1 < node.elements.size(); i += 2)
                      try {
                        sum[node.elements[i].str] += std::stoll(node.elements[i + 1].str);
                      } catch (const std::exception&) {
                      }
                  done(std::make_pair(uint64_t(r[0].elements.size()), sum));
                });
}

void cluster_link::leave() {
  try {
    redis_.call({{"DEL", key("node:" + node_id_)}, {"SREM", key("nodes"), node_id_}});
  } catch (const std::exception&) {
    // Redis down: the node key expires by itself within node_ttl.
  }
}

} // namespace herald::persistence
