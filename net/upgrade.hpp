#pragma once
// Whether a WebSocket upgrade request may become a session (docs/protocol.md):
// token, channels, since positions, resume parameters. Pure logic: no sockets, no actors.
#include "actors/token_port.hpp"
#include "persistence/history.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::net {

struct upgrade_settings {
  std::string jwt_secret; // decide_upgrade's key; the server checks with its token_verifier
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
  std::string last_event_id;  // 1–64 bytes
  std::string token;          // as given, until authorize_upgrade
  bool auth_by_frame = false; // auth=frame and no token: it comes as the first frame
  int64_t token_exp_s = 0;    // the token's exp (0: none)
};

// Reads the request (`query`: the target after '?'; `authorization`: the
// header): the token, channels, positions and resume parameters. Checks no
// token and no channel permission; a missing token when one is needed (and
// not promised as the first frame) is 401.
upgrade_decision read_upgrade(std::string_view query, std::string_view authorization,
                              const upgrade_settings& settings);

// A client token checked: a console token (signed by the server's own
// secret) first, then `tokens`; a reserved `sub` is refused. `done` may run
// later on another thread (a JWKS refetch).
void check_client_token(const std::string& token, const upgrade_settings& settings,
                        token_port& tokens, int64_t now_s, std::function<void(token_result)> done);
// A console token, or nothing when `token` is not one.
std::optional<token_result> console_token(const std::string& token,
                                          const upgrade_settings& settings, int64_t now_s);

// With the token checked (`checked` null: none was given): user, allowed
// channels and the channels wanted (403 when one is not allowed).
void authorize_upgrade(upgrade_decision& d, const token_result* checked);

// Both steps, the token checked with settings.jwt_secret (tests, fuzzing).
upgrade_decision decide_upgrade(std::string_view query, std::string_view authorization,
                                const upgrade_settings& settings, int64_t now_s);

// A path segment, percent-decoded ('+' and '&' are themselves, unlike in a query).
std::string decode_path_segment(std::string_view segment);

// Splits and percent-decodes a query string; a repeated key keeps its last value.
std::map<std::string, std::string> parse_query(std::string_view query);

} // namespace herald::net
