// Tokens signed with RSA and EC keys made here by OpenSSL, checked against
// the public key as PEM and as a JWKS document.
#include "config/text.hpp"
#include "net/jwt_auth.hpp"
#include "net/token_keys.hpp"
#include "token_maker.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

using namespace herald::net;

namespace {

struct key_pair {
  std::string private_pem, public_pem;
  EVP_PKEY* key = nullptr;
  ~key_pair() { EVP_PKEY_free(key); }
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::unique_ptr<key_pair> make_pair(bool rsa, const char* curve = "P-256") {
  auto kp = std::make_unique<key_pair>();
  kp->key = rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  REQUIRE(kp->key);
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, kp->key, nullptr, nullptr, 0, nullptr, nullptr);
  kp->private_pem = bio_text(priv);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, kp->key);
  kp->public_pem = bio_text(pub);
  return kp;
}

std::string b64url(const std::string& bytes) {
  return herald::base64url_encode(bytes);
}

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

nlohmann::json jwk_of(const key_pair& kp, const std::string& kid) {
  if (EVP_PKEY_get_base_id(kp.key) == EVP_PKEY_RSA)
    return {{"kty", "RSA"},
            {"kid", kid},
            {"use", "sig"},
            {"n", b64url(bn_param(kp.key, OSSL_PKEY_PARAM_RSA_N))},
            {"e", b64url(bn_param(kp.key, OSSL_PKEY_PARAM_RSA_E))}};
  auto x = bn_param(kp.key, OSSL_PKEY_PARAM_EC_PUB_X),
       y = bn_param(kp.key, OSSL_PKEY_PARAM_EC_PUB_Y);
  x.insert(0, 32 - x.size(), '\0');
  y.insert(0, 32 - y.size(), '\0');
  return {{"kty", "EC"}, {"kid", kid}, {"crv", "P-256"}, {"x", b64url(x)}, {"y", b64url(y)}};
}

std::string sign(const std::string& claims, const key_pair& kp, jwt_alg_t alg,
                 const std::string& kid = "") {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims.c_str());
  if (!kid.empty())
    jwt_add_header(jwt, "kid", kid.c_str());
  jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(kp.private_pem.data()),
              static_cast<int>(kp.private_pem.size()));
  char* out = jwt_encode_str(jwt);
  std::string token = out ? out : "";
  std::free(out);
  jwt_free(jwt);
  return token;
}

token_keys pem_keys(const key_pair& kp) {
  std::string error;
  auto key = key_from_pem(kp.public_pem, error);
  REQUIRE(error.empty());
  token_keys keys;
  keys.add(std::move(key));
  return keys;
}

} // namespace

TEST_CASE("RS256/RS512 and ES256 tokens check against a PEM public key") {
  auto rsa = make_pair(true);
  auto keys = pem_keys(*rsa);
  auto r = verify_token(sign(R"({"sub":"u1","exp":2000})", *rsa, JWT_ALG_RS256), keys, 1000);
  REQUIRE(r.claims);
  CHECK(r.claims->sub == "u1");
  CHECK(r.claims->exp_s == 2000);
  CHECK(verify_token(sign(R"({"sub":"u1"})", *rsa, JWT_ALG_RS512), keys, 1000).claims);
  // Another key's signature.
  auto other = make_pair(true);
  CHECK(verify_token(sign(R"({"sub":"u1"})", *other, JWT_ALG_RS256), keys, 1000).error ==
        "bad token signature");

  auto ec = make_pair(false);
  auto ec_keys = pem_keys(*ec);
  CHECK(verify_token(sign(R"({"sub":"u2"})", *ec, JWT_ALG_ES256), ec_keys, 1000).claims);
  // An ES384 header with a P-256 key: the key verifies ES256 only.
  CHECK(verify_token(sign(R"({"sub":"u2"})", *ec, JWT_ALG_ES256), keys, 1000).error ==
        "token algorithm ES256 matches no configured key");
}

TEST_CASE("alg confusion: an HS256 token keyed with the RSA public key is refused") {
  auto rsa = make_pair(true);
  auto keys = pem_keys(*rsa);
  auto forged = herald::test::make_token(R"({"sub":"admin"})", rsa->public_pem);
  CHECK(verify_token(forged, keys, 1000).error ==
        "token algorithm HS256 matches no configured key");
  // Also with the PEM exactly as the server holds it.
  std::string error;
  auto held = key_from_pem(rsa->public_pem, error).material;
  CHECK_FALSE(
      verify_token(herald::test::make_token(R"({"sub":"admin"})", held), keys, 1000).claims);
  // alg none.
  CHECK_FALSE(verify_token(herald::test::make_token(R"({"sub":"u"})", "", JWT_ALG_NONE), keys, 1000)
                  .claims);
}

TEST_CASE("HS384 and HS512 with the shared secret") {
  CHECK(
      verify_token(herald::test::make_token(R"({"sub":"u1"})", "k", JWT_ALG_HS384), "k", 0).claims);
  CHECK(
      verify_token(herald::test::make_token(R"({"sub":"u1"})", "k", JWT_ALG_HS512), "k", 0).claims);
}

TEST_CASE("JWKS: keys by kid; an unknown kid is reported for a refetch") {
  auto a = make_pair(true), b = make_pair(false);
  nlohmann::json doc{{"keys",
                      {jwk_of(*a, "rsa-1"),
                       jwk_of(*b, "ec-1"),
                       {{"kty", "oct"}, {"k", "c2VjcmV0"}},          // skipped: symmetric
                       {{"kty", "RSA"}, {"kid", "bad"}, {"n", "!"}}, // skipped: not base64url
                       {{"kty", "RSA"}, {"use", "enc"}, {"kid", "x"}}}}};
  std::string error;
  size_t skipped = 0;
  auto found = keys_from_jwks(doc.dump(), error, skipped);
  REQUIRE(error.empty());
  CHECK(found.size() == 2);
  CHECK(skipped == 3);
  token_keys keys;
  for (auto& k : found)
    keys.add(std::move(k));
  CHECK(verify_token(sign(R"({"sub":"u1"})", *a, JWT_ALG_RS256, "rsa-1"), keys, 0).claims);
  CHECK(verify_token(sign(R"({"sub":"u1"})", *b, JWT_ALG_ES256, "ec-1"), keys, 0).claims);
  // The right kid, the wrong key's signature.
  CHECK_FALSE(verify_token(sign(R"({"sub":"u1"})", *a, JWT_ALG_RS256, "ec-1"), keys, 0).claims);
  auto unknown = verify_token(sign(R"({"sub":"u1"})", *a, JWT_ALG_RS256, "rsa-2"), keys, 0);
  CHECK(unknown.unknown_kid);
  CHECK_FALSE(unknown.claims);

  keys_from_jwks("[]", error, skipped);
  CHECK_FALSE(error.empty());
  keys_from_jwks("not json", error, skipped);
  CHECK_FALSE(error.empty());
}

TEST_CASE("PEM files that hold no usable key are refused with a reason") {
  std::string error;
  key_from_pem("", error);
  CHECK(error == "no PEM public key or certificate");
  key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", error);
  CHECK_FALSE(error.empty());
  auto weak = std::make_unique<key_pair>();
  weak->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, weak->key);
  key_from_pem(bio_text(pub), error);
  CHECK(error == "RSA key shorter than 2048 bits");
}
