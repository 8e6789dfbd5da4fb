#pragma once
// Whether a WebSocket upgrade request may become a session (docs/protocol.md):
// token, channels, since positions, resume parameters. Pure logic: no sockets, no actors.
#include "persistence/history.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace herald::net {

struct upgrade_settings {
  std::string jwt_secret;
  bool auth_required = true;
  uint64_t max_channels = 100;
  // Per-process secret of console tokens (sub "console:…", channel herald.monitor only).
  std::string console_secret;
  int64_t leeway_s = 60; // auth.leeway
};

struct upgrade_decision {
  int status = 101;  // 101: accepted; otherwise the HTTP status to refuse with
  std::string error; // the reason, for the JSON body
  std::string user;  // empty: anonymous
  std::vector<std::string> allowed;
  std::vector<std::string> channels;
  std::string resume_id;
  std::string resume_token;
  uint64_t last_seq = 0;
  // since.<channel>=<offset>:<epoch>, for channels joined here.
  std::map<std::string, persistence::history_position> since;
  std::string last_event_id; // 1–64 bytes
};

// `query` is the part of the target after '?'; `authorization` the header's value.
upgrade_decision decide_upgrade(std::string_view query, std::string_view authorization,
                                const upgrade_settings& settings, int64_t now_s);

// A path segment, percent-decoded ('+' and '&' are themselves, unlike in a query).
std::string decode_path_segment(std::string_view segment);

// Splits and percent-decodes a query string; a repeated key keeps its last value.
std::map<std::string, std::string> parse_query(std::string_view query);

} // namespace herald::net
