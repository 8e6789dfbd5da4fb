// JWT verification: the token text, then a clock and a leeway from the input.
// An input starting (after the clock) with 'J' is a JWKS document instead, as
// a provider (or whoever sits between) might serve it; its keys then check a token.
#include "config/text.hpp"
#include "net/jwt_auth.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4)
    return 0;
  uint32_t clock;
  std::memcpy(&clock, data, 4);
  std::string token(reinterpret_cast<const char*>(data + 4), size - 4);
  static const std::string secret = "fuzz-secret-0123456789abcdef0123456789";
  if (!token.empty() && token[0] == 'J') {
    std::string error;
    size_t skipped = 0;
    auto found = herald::net::keys_from_jwks(token.substr(1), error, skipped);
    if (!error.empty() && !found.empty())
      std::abort();
    herald::net::token_keys keys;
    for (auto& k : found) {
      if (k.algs.empty() || k.material.empty())
        std::abort();
      keys.add(std::move(k));
    }
    auto r = herald::net::verify_token(token.substr(1), keys, int64_t(clock), 60);
    if (!r.claims && r.error.empty())
      std::abort();
    return 0;
  }
  auto r = herald::net::verify_token(token, secret, int64_t(clock), 60);
  if (r.claims && (r.claims->sub.empty() || r.claims->sub.size() > 200))
    std::abort();
  if (!r.claims && r.error.empty())
    std::abort();
  // A token we sign ourselves always verifies. (libjwt's JSON library refuses
  // "\u0000" in strings, so a sub with NUL cannot be signed: the first input
  // this target found, kept in the corpus as jwt/sign_nul.)
  if (size > 8 && data[4] == 'S') {
    auto sub = token.substr(1, 200);
    if (!sub.empty() && herald::valid_utf8(sub) && sub.find('\0') == std::string::npos) {
      auto t = herald::net::sign_token(sub, {"a", "b*"}, int64_t(clock) + 3600, secret);
      auto back = herald::net::verify_token(t, secret, int64_t(clock), 0);
      if (!back.claims || back.claims->sub != sub)
        std::abort();
    }
  }
  return 0;
}
