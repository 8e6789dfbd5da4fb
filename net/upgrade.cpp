#include "net/upgrade.hpp"

#include "actors/channel_policy.hpp"
#include "net/jwt_auth.hpp"

#include "config/text.hpp"

#include <algorithm>
#include <set>
#include <sstream>

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

upgrade_decision decide_upgrade(std::string_view query, std::string_view authorization,
                                const upgrade_settings& settings, int64_t now_s) {
  auto params = parse_query(query);
  std::string token;
  if (auto it = params.find("token"); it != params.end())
    token = it->second;
  else if (authorization.rfind("Bearer ", 0) == 0)
    token = std::string(authorization.substr(7));

  upgrade_decision d;
  if (!token.empty() || settings.auth_required) {
    auto checked = verify_token(token, settings.jwt_secret, now_s, settings.leeway_s);
    if (checked.claims && reserved_subject(checked.claims->sub))
      return refuse(401, "token \"sub\" may not start with \"anon:\" or \"console:\"");
    if (!checked.claims && !settings.console_secret.empty()) {
      auto console = verify_token(token, settings.console_secret, now_s);
      if (console.claims && console.claims->sub.rfind("console:", 0) == 0)
        checked = std::move(console);
    }
    if (!checked.claims)
      return refuse(401, checked.error);
    d.user = checked.claims->sub;
    d.allowed = std::move(checked.claims->channels);
  }

  std::vector<std::string> wanted;
  if (auto it = params.find("channels"); it != params.end()) {
    std::stringstream ss(it->second);
    std::string name;
    while (std::getline(ss, name, ','))
      if (!name.empty())
        wanted.push_back(name);
  }
  if (auto it = params.find("view"); it != params.end())
    wanted.push_back(it->second);
  std::set<std::string_view> seen;
  for (auto& name : wanted) {
    if (!seen.insert(name).second)
      continue;
    if (seen.size() > settings.max_channels) // checked as we go: a long list costs nothing
      return refuse(400, "more channels than session.max_channels");
    switch (check_channel(d.allowed, name)) {
      case channel_check::ok:
        d.channels.push_back(name);
        break;
      case channel_check::bad_name:
        return refuse(400, "bad channel name (1 to 200 bytes of UTF-8)");
      case channel_check::reserved:
      case channel_check::forbidden:
        return refuse(403, "channel not allowed: " + utf8_clean(name));
    }
  }

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

} // namespace herald::net
