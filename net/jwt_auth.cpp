#include "net/jwt_auth.hpp"

#include "config/text.hpp"

#include <jwt.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>

namespace herald::net {

namespace {

std::string base64url_decode(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return {};
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

} // namespace

bool reserved_subject(const std::string& sub) {
  return sub.rfind("anon:", 0) == 0 || sub.rfind("console:", 0) == 0;
}

token_result verify_token(const std::string& token, const std::string& secret, int64_t now_s,
                          int64_t leeway_s) {
  if (token.empty())
    return {std::nullopt, "missing token"};
  if (secret.empty())
    return {std::nullopt, "tokens cannot be checked: auth.jwt_secret is empty"};
  // libjwt takes the algorithm from the token's own header; read it first so
  // an unsigned ("alg":"none") or differently signed token is refused outright.
  auto header = parse_json(base64url_decode(token.substr(0, token.find('.'))));
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string())
    return {std::nullopt, "malformed token"};
  if (header["alg"].get<std::string>() != "HS256")
    return {std::nullopt, "token must be signed with HS256"};
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                 static_cast<int>(secret.size())) != 0 ||
      !raw)
    return {std::nullopt, "bad token signature"};
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
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
