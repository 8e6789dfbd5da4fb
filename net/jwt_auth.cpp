#include "net/jwt_auth.hpp"

#include "config/text.hpp"

#include <jwt.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace herald::net {

bool reserved_subject(const std::string& sub) {
  return sub.rfind("anon:", 0) == 0 || sub.rfind("console:", 0) == 0;
}

token_result verify_token(const std::string& token, const std::string& secret, int64_t now_s,
                          int64_t leeway_s) {
  token_keys keys;
  if (!secret.empty())
    keys.add(hmac_key(secret));
  return verify_token(token, keys, now_s, leeway_s);
}

token_result verify_token(const std::string& token, const token_keys& keys, int64_t now_s,
                          int64_t leeway_s) {
  if (token.empty())
    return {std::nullopt, "missing token"};
  if (keys.empty())
    return {std::nullopt, "tokens cannot be checked: no key is configured (auth.jwt_secret, "
                          "auth.public_key_file or auth.jwks_url)"};
  // libjwt takes the algorithm from the token's own header: the key the
  // header picks must verify that algorithm, or the token is refused here.
  auto header = parse_json(base64_decode(token.substr(0, token.find('.'))));
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string())
    return {std::nullopt, "malformed token"};
  auto alg = header["alg"].get<std::string>();
  std::string kid;
  if (auto it = header.find("kid"); it != header.end()) {
    if (!it->is_string() || it->get<std::string>().size() > 200)
      return {std::nullopt, "token \"kid\" is not a string of at most 200 bytes"};
    kid = it->get<std::string>();
  }
  const token_key* key = keys.pick(alg, kid);
  if (!key) {
    token_result refused{std::nullopt, "token algorithm " + utf8_cut(utf8_clean(alg), 20) +
                                           " matches no configured key"};
    if (!kid.empty() && !keys.knows_kid(kid)) {
      refused.error = "token \"kid\" names no known key";
      refused.unknown_kid = true;
    }
    return refused;
  }
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key->material.data()),
                 static_cast<int>(key->material.size())) != 0 ||
      !raw)
    return {std::nullopt, "bad token signature"};
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
  if (jwt_get_alg(jwt.get()) != jwt_str_alg(alg.c_str()))
    return {std::nullopt, "bad token signature"};
  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (!grants)
    return {std::nullopt, "token has no claims"};
  auto claims = parse_json(grants);
  std::free(grants);
  if (!claims.is_object())
    return {std::nullopt, "token claims are not a JSON object"};
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty())
    return {std::nullopt, "token has no \"sub\" claim"};
  auto exp = claims.find("exp");
  if (exp != claims.end()) {
    if (!exp->is_number())
      return {std::nullopt, "token \"exp\" is not a number"};
    if (exp->get<double>() + static_cast<double>(leeway_s) <= static_cast<double>(now_s))
      return {std::nullopt, "token expired"};
  }
  auto nbf = claims.find("nbf");
  if (nbf != claims.end()) {
    if (!nbf->is_number())
      return {std::nullopt, "token \"nbf\" is not a number"};
    if (nbf->get<double>() - static_cast<double>(leeway_s) > static_cast<double>(now_s))
      return {std::nullopt, "token not valid yet (nbf)"};
  }
  token_claims out;
  out.sub = sub->get<std::string>();
  if (exp != claims.end())
    out.exp_s = static_cast<int64_t>(std::min(exp->get<double>(), 9.0e15));
  if (out.sub.size() > 200)
    return {std::nullopt, "token \"sub\" is longer than 200 bytes"};
  auto channels = claims.find("channels");
  if (channels != claims.end()) {
    if (!channels->is_array())
      return {std::nullopt, "token \"channels\" is not a list"};
    for (auto& c : *channels) {
      if (!c.is_string())
        return {std::nullopt, "token \"channels\" holds a non-string"};
      out.channels.push_back(c.get<std::string>());
    }
  }
  return {std::move(out), {}};
}

} // namespace herald::net

namespace herald::net {

std::string sign_token(const std::string& sub, const std::vector<std::string>& channels,
                       int64_t exp_s, const std::string& secret) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0)
    return {};
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
  auto grants = json_text(nlohmann::json{{"sub", sub}, {"channels", channels}, {"exp", exp_s}});
  if (jwt_add_grants_json(jwt.get(), grants.c_str()) != 0 ||
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  int(secret.size())) != 0)
    return {};
  char* out = jwt_encode_str(jwt.get());
  if (!out)
    return {};
  std::string token(out);
  free(out); // libjwt 1.x allocates with malloc
  return token;
}

} // namespace herald::net
