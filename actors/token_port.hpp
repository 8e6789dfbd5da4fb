#pragma once
// How a session checks a client's token without knowing keys or JWT: net/
// implements it (net/token_verifier.hpp). `verify` never blocks; `done` runs
// exactly once, at once or later on another thread (a JWKS refetch).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace herald {

struct token_claims {
  std::string sub;
  std::vector<std::string> channels; // allowed channel patterns
  int64_t exp_s = 0;                 // Unix seconds; 0: the token does not expire
};

struct token_result {
  std::optional<token_claims> claims;
  std::string error;        // why the token was refused, when claims is empty
  bool unknown_kid = false; // refused for a `kid` no key has (a JWKS refetch may help)
};

class token_port {
public:
  virtual ~token_port() = default;
  virtual void verify(std::string token, std::function<void(token_result)> done) = 0;
};

} // namespace herald
