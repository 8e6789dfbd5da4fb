#pragma once
// Mints tokens with libjwt for tests.
#include <jwt.h>

#include <cstdlib>
#include <string>

namespace herald::test {

inline std::string make_token(const std::string& claims_json, const std::string& secret,
                              jwt_alg_t alg = JWT_ALG_HS256) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims_json.c_str());
  if (alg == JWT_ALG_NONE)
    jwt_set_alg(jwt, JWT_ALG_NONE, nullptr, 0);
  else
    jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(secret.data()),
                static_cast<int>(secret.size()));
  char* out = jwt_encode_str(jwt);
  std::string token = out ? out : "";
  std::free(out);
  jwt_free(jwt);
  return token;
}

} // namespace herald::test
