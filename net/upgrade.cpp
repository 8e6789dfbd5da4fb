#include "net/upgrade.hpp"

#include "actors/channel_policy.hpp"
#include "net/jwt_auth.hpp"

#include "config/text.hpp"

#include <algorithm>
#include <set>

namespace herald::net {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, bool plus_is_space = true) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "<offset>:<epoch>", the epoch 1–64 bytes.
bool parse_since(const std::string& text, persistence::history_position& out) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 19)
    return false;
  auto digits = text.substr(0, colon);
  auto epoch = text.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos || epoch.empty() ||
      epoch.size() > 64)
    return false;
  out = {std::stoull(digits), epoch};
  return true;
}

upgrade_decision refuse(int status, std::string error) {
  upgrade_decision d;
  d.status = status;
  d.error = std::move(error);
  return d;
}

} // namespace

std::string decode_path_segment(std::string_view segment) {
  return percent_decode(segment, false);
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos)
      out[percent_decode(part)] = "";
    else
      out[percent_decode(part.substr(0, eq))] = percent_decode(part.substr(eq + 1));
  }
  return out;
}

upgrade_decision read_upgrade(std::string_view query, std::string_view authorization,
                              const upgrade_settings& settings) {
  auto params = parse_query(query);
  upgrade_decision d;
  if (auto it = params.find("token"); it != params.end())
    d.token = it->second;
  else if (authorization.rfind("Bearer ", 0) == 0)
    d.token = std::string(authorization.substr(7));
  if (auto it = params.find("auth"); it != params.end()) {
    if (it->second != "frame")
      return refuse(400, "auth must be \"frame\" (the token comes as the first frame)");
    d.auth_by_frame = d.token.empty();
  }
  if (d.token.empty() && settings.auth_required && !d.auth_by_frame)
    return refuse(401, "missing token");

  if (auto it = params.find("channels"); it != params.end())
    d.channels = comma_list(it->second);
  if (auto it = params.find("view"); it != params.end())
    d.channels.push_back(it->second);
  std::set<std::string_view> seen;
  std::vector<std::string> unique;
  for (auto& name : d.channels) {
    if (!seen.insert(name).second)
      continue;
    if (seen.size() > settings.max_channels) // checked as we go: a long list costs nothing
      return refuse(400, "more channels than session.max_channels");
    unique.push_back(name);
  }
  d.channels = std::move(unique);

  constexpr std::string_view since_prefix = "since.";
  for (auto it = params.lower_bound(std::string(since_prefix));
       it != params.end() && it->first.compare(0, since_prefix.size(), since_prefix) == 0; ++it) {
    auto channel = it->first.substr(since_prefix.size());
    if (std::find(d.channels.begin(), d.channels.end(), channel) == d.channels.end())
      return refuse(400, "since." + utf8_cut(utf8_clean(channel), 200) +
                             " names a channel this upgrade does not join");
    if (!parse_since(it->second, d.since[channel]))
      return refuse(400, "since.<channel> is <offset>:<epoch>");
  }

  if (auto it = params.find("last_event_id"); it != params.end()) {
    if (it->second.empty() || it->second.size() > 64)
      return refuse(400, "last_event_id is an event id (1 to 64 bytes)");
    d.last_event_id = it->second;
  }
  if (auto it = params.find("session_id"); it != params.end())
    d.resume_id = it->second;
  if (auto it = params.find("resume_token"); it != params.end())
    d.resume_token = it->second;
  if (auto it = params.find("last_seq"); it != params.end()) {
    auto& v = it->second;
    if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
      return refuse(400, "last_seq must be a non-negative integer");
    d.last_seq = std::stoull(v);
  }
  return d;
}

std::optional<token_result> console_token(const std::string& token,
                                          const upgrade_settings& settings, int64_t now_s) {
  if (settings.console_secret.empty() || token.empty())
    return std::nullopt;
  auto console = verify_token(token, settings.console_secret, now_s);
  if (!console.claims || console.claims->sub.rfind("console:", 0) != 0)
    return std::nullopt;
  return console;
}

void authorize_upgrade(upgrade_decision& d, const token_result* checked) {
  auto refused = [&](int status, std::string error) {
    d.status = status;
    d.error = std::move(error);
  };
  if (checked) {
    if (!checked->claims)
      return refused(401, checked->error);
    d.user = checked->claims->sub;
    d.allowed = checked->claims->channels;
    d.token_exp_s = checked->claims->exp_s;
  }
  d.token.clear(); // checked: not kept where it could be logged
  for (auto& name : d.channels)
    switch (check_channel(d.allowed, name)) {
      case channel_check::ok:
        break;
      case channel_check::bad_name:
        return refused(400, "bad channel name (1 to 200 bytes of UTF-8)");
      case channel_check::reserved:
      case channel_check::forbidden:
        return refused(403, "channel not allowed: " + utf8_clean(name));
    }
}

void check_client_token(const std::string& token, const upgrade_settings& settings,
                        token_port& tokens, int64_t now_s, std::function<void(token_result)> done) {
  if (auto console = console_token(token, settings, now_s))
    return done(std::move(*console));
  tokens.verify(token, [done = std::move(done)](token_result checked) {
    if (checked.claims && reserved_subject(checked.claims->sub))
      checked = {std::nullopt, "token \"sub\" may not start with \"anon:\" or \"console:\"", false};
    done(std::move(checked));
  });
}

namespace {

// Checks with keys in hand, at once.
class key_port final : public token_port {
public:
  key_port(const std::string& secret, int64_t now_s, int64_t leeway_s)
      : now_s_(now_s), leeway_s_(leeway_s) {
    if (!secret.empty())
      keys_.add(hmac_key(secret));
  }
  void verify(std::string token, std::function<void(token_result)> done) override {
    done(verify_token(token, keys_, now_s_, leeway_s_));
  }

private:
  token_keys keys_;
  int64_t now_s_, leeway_s_;
};

} // namespace

upgrade_decision decide_upgrade(std::string_view query, std::string_view authorization,
                                const upgrade_settings& settings, int64_t now_s) {
  auto d = read_upgrade(query, authorization, settings);
  if (d.status != 101 || d.auth_by_frame)
    return d;
  if (d.token.empty()) {
    authorize_upgrade(d, nullptr);
    return d;
  }
  key_port keys(settings.jwt_secret, now_s, settings.leeway_s);
  token_result checked;
  check_client_token(d.token, settings, keys, now_s,
                     [&checked](token_result r) { checked = std::move(r); });
  authorize_upgrade(d, &checked);
  return d;
}

} // namespace herald::net
