#pragma once
// Client token checks (docs/protocol.md, docs/security.md): HS256 only, signature, `sub`, `exp`,
// `nbf`, optional `channels`. Built on libjwt; no hand-rolled crypto.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::net {

struct token_claims {
  std::string sub;
  std::vector<std::string> channels; // allowed channel patterns
};

struct token_result {
  std::optional<token_claims> claims;
  std::string error; // why the token was refused, when claims is empty
};

// Verifies `token` against `secret` at time `now_s` (Unix seconds): the
// signature, `sub` (a string of 1–200 bytes), and `exp` and `nbf` when present,
// each allowing `leeway_s` of clock skew (auth.leeway).
token_result verify_token(const std::string& token, const std::string& secret, int64_t now_s,
                          int64_t leeway_s = 0);

// A `sub` only the server hands out (anonymous and console sessions).
bool reserved_subject(const std::string& sub);

// An HS256 token with `sub`, `channels` and `exp`; empty on failure.
std::string sign_token(const std::string& sub, const std::vector<std::string>& channels,
                       int64_t exp_s, const std::string& secret);

// The console's live feed: a channel of its own, joined with a short-lived
// token that only the server signs (its per-process console secret).
constexpr const char* monitor_channel = "herald.monitor";

} // namespace herald::net
