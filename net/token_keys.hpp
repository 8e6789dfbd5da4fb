#pragma once
// The keys client tokens are checked against (docs/security.md): an HMAC
// secret (HS256/384/512), public keys from a PEM file (RS256/384/512,
// ES256/384/512) and keys from a JWKS document, picked by `kid`. Each key
// names the algorithms it verifies; a token whose header asks for another is
// refused, so an HS256 token "signed" with an RSA public key as its secret
// never reaches a MAC check.
#include <string>
#include <vector>

namespace herald::net {

struct token_key {
  std::string kid;               // empty: the key of a token without "kid"
  std::vector<std::string> algs; // the algorithms it verifies, e.g. RS256 RS384 RS512
  std::string material;          // the HMAC secret, or a PEM public key
  bool from_jwks = false;
};

class token_keys {
public:
  void add(token_key key) { keys_.push_back(std::move(key)); }
  // The key for a token's header: by `kid` when the token has one (a kid no
  // key has falls back to the keys without one), else the first key without
  // a kid that verifies `alg`. Null when none fits.
  const token_key* pick(const std::string& alg, const std::string& kid) const;
  // Whether any JWKS key carries this kid (an unknown kid makes one early refetch).
  bool knows_kid(const std::string& kid) const;
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

private:
  std::vector<token_key> keys_;
};

// The HS256/384/512 key of a shared secret.
token_key hmac_key(std::string secret);

// A public key (or a certificate's) in PEM: RSA of at least 2048 bits, or EC
// on P-256, P-384 or P-521. Empty `error` on success.
token_key key_from_pem(const std::string& pem, std::string& error);

// The usable keys of a JWKS document ("keys": RSA with n/e, EC with
// crv/x/y; "use" other than "sig" and unknown kinds are skipped). `error`
// says why the document as a whole is unusable; `skipped` counts entries left out.
std::vector<token_key> keys_from_jwks(const std::string& text, std::string& error, size_t& skipped);

} // namespace herald::net
