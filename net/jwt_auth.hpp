#pragma once
// Client token checks (docs/protocol.md, docs/security.md): the signature
// against the configured keys (token_keys.hpp), `sub`, `exp`, `nbf`, optional
// `channels`. Built on libjwt and OpenSSL; no hand-rolled crypto.
#include "actors/token_port.hpp"
#include "net/token_keys.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::net {

using herald::token_claims;
using herald::token_result;

// Verifies `token` against `keys` at time `now_s` (Unix seconds): the
// signature by the key its header picks (which must verify the header's
// `alg`), `sub` (a string of 1–200 bytes), and `exp` and `nbf` when present,
// each allowing `leeway_s` of clock skew (auth.leeway).
token_result verify_token(const std::string& token, const token_keys& keys, int64_t now_s,
                          int64_t leeway_s = 0);
// The same with one HMAC secret (HS256/384/512).
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
